// F.interpolate on [N,C,H,W]: 'nearest' (PyTorch's legacy rule) and 'bilinear', forward and
// backward on assembly/resize.ts, with PyTorch 1.13's output size and scale rules.
// Tests: test/ops/nnops.test.ts (PyTorch fixtures), test/ops/nnops-grad.test.ts, test/assembly/resize.test.ts.

import { record } from '../autograd/tape.js';
import {
  resizeBackward,
  resizeForward,
  resizeScale,
  type ResizeGeometry,
  type ResizeMode,
} from '../runtime/kernels/resize.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

export type { ResizeMode };

export interface InterpolateOptions {
  /** Output [h, w] (or one number for both); exclusive with scaleFactor. */
  size?: number | readonly [number, number];
  /** Output = floor(input * scaleFactor) per dim; the kernels then map with 1/scaleFactor, as
   * PyTorch does when recomputeScaleFactor is not set. */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest', as PyTorch. */
  mode?: ResizeMode;
  /** Bilinear only (PyTorch raises for nearest); default false. */
  alignCorners?: boolean;
  /** When true, the scales are recomputed from the sizes (in/out) instead of 1/scaleFactor. */
  recomputeScaleFactor?: boolean;
}

function twoOf(
  op: string,
  name: string,
  v: number | readonly [number, number],
  shape: string
): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  throw new RangeError(
    `${op}: ${name} must be a number or [h, w] for a 4-D input, got ${String(v)}; input ${shape}`
  );
}

/** Output sizes and per-axis scales of interpolate, validated as PyTorch does. */
export function interpolateGeometry(
  xShape: readonly number[],
  opts: InterpolateOptions
): ResizeGeometry {
  const op = 'interpolate';
  const shape = fmtShape(xShape);
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') {
    throw new RangeError(
      `${op}: mode must be 'nearest' or 'bilinear', got '${String(mode)}'; input ${shape}`
    );
  }
  if (xShape.length !== 4) {
    throw new RangeError(`${op}: input must be 4-D [N,C,H,W] for mode '${mode}', got ${shape}`);
  }
  if (mode === 'nearest' && opts.alignCorners !== undefined) {
    throw new RangeError(
      `${op}: alignCorners can only be set with mode 'bilinear', not 'nearest'; input ${shape}`
    );
  }
  const [n, c, h, w] = xShape;
  const hasSize = opts.size !== undefined && opts.size !== null;
  const hasScale = opts.scaleFactor !== undefined && opts.scaleFactor !== null;
  if (hasSize === hasScale) {
    throw new RangeError(
      `${op}: ${hasSize ? 'only one of' : 'either'} size or scaleFactor should be defined; input ${shape}`
    );
  }
  if (hasSize && opts.recomputeScaleFactor) {
    throw new RangeError(
      `${op}: recomputeScaleFactor is not meaningful with an explicit size; input ${shape}`
    );
  }
  const alignCorners = opts.alignCorners ?? false;
  let oh: number;
  let ow: number;
  let sf: [number, number] | undefined;
  if (hasSize) {
    [oh, ow] = twoOf(op, 'size', opts.size!, shape);
  } else {
    sf = twoOf(op, 'scaleFactor', opts.scaleFactor!, shape);
    for (const v of sf) {
      if (!(Number.isFinite(v) && v > 0)) {
        throw new RangeError(
          `${op}: scaleFactor must be positive and finite, got [${sf.join(', ')}]; input ${shape}`
        );
      }
    }
    oh = Math.floor(h * sf[0]);
    ow = Math.floor(w * sf[1]);
    if (opts.recomputeScaleFactor) sf = undefined;
  }
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
    throw new RangeError(
      `${op}: output size must be positive integers, got [${oh}, ${ow}]; input ${shape}`
    );
  }
  return {
    n,
    c,
    h,
    w,
    oh,
    ow,
    mode,
    alignCorners,
    scaleH: resizeScale(h, oh, mode, alignCorners, sf?.[0]),
    scaleW: resizeScale(w, ow, mode, alignCorners, sf?.[1]),
  };
}

/**
 * Resizes x [N,C,H,W] (as torch.nn.functional.interpolate): 'nearest' takes source
 * floor(dst * scale), 'bilinear' blends the four neighbours of (dst + 0.5) * scale - 0.5, or of
 * dst * (in-1)/(out-1) with alignCorners.
 * @example F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false })
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  checkTensor('interpolate', 'input', x);
  const g = interpolateGeometry(x.shape, opts ?? {});
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  resizeForward(rt, g, x.buf, y.buf);
  const byScale =
    opts.scaleFactor !== undefined && opts.scaleFactor !== null && !opts.recomputeScaleFactor;
  return record(
    y,
    `interpolate(${g.mode})`,
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      resizeBackward(rt, g, gy.buf, gx.buf);
      return [gx];
    },
    undefined,
    {
      mode: g.mode,
      alignCorners: g.alignCorners,
      scaleFactor: byScale ? opts.scaleFactor : undefined,
    }
  );
}
