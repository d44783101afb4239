// F.maxPool2d, F.avgPool2d, F.adaptiveAvgPool2d, F.adaptiveMaxPool2d: NCHW pooling and its
// gradients; F.maxPool1d, F.avgPool1d run the 2-D pools over [N,C,1,L].
// Tests: test/ops/nnops.test.ts (PyTorch fixtures), test/ops/nnops-grad.test.ts, test/assembly/pool.test.ts.

import { record } from '../autograd/tape.js';
import {
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  adaptiveMaxPool2dBackward,
  adaptiveMaxPool2dForward,
  type AdaptivePool2dGeometry,
  avgPool2dBackward,
  avgPool2dForward,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  maxPool2dBackward,
  maxPool2dForward,
  pool2dShape,
  type Pool2dOptions,
} from '../runtime/kernels/pool.js';
import type { Single } from '../runtime/check.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

export type { Pool2dOptions };

/** Max pooling; the backward routes each gradient to its window's arg-max (first max wins). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  checkTensor('maxPool2d', 'input', x);
  const g = pool2dShape(x.shape, opts, 'maxPool2d');
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  const argmax = rt.heap.allocF32(y.size);
  maxPool2dForward(rt, g, x.buf, y.buf, argmax);
  let released = false;
  const release = (): void => {
    if (!released) rt.heap.free(argmax);
    released = true;
  };
  return record(
    y,
    'maxPool2d',
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      maxPool2dBackward(rt, g, gy.buf, argmax, gx.buf);
      return [gx];
    },
    release,
    g
  );
}

/** Average pooling (countIncludePad defaults to true, as in PyTorch). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  checkTensor('avgPool2d', 'input', x);
  const g = pool2dShape(x.shape, opts, 'avgPool2d');
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  avgPool2dForward(rt, g, x.buf, y.buf);
  return record(
    y,
    'avgPool2d',
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      avgPool2dBackward(rt, g, gy.buf, gx.buf);
      return [gx];
    },
    undefined,
    g
  );
}

/** An adaptive pool's output size: one number for both dims, or [h, w]; null keeps that dim. */
export type AdaptiveSize = number | null | readonly [number | null, number | null];

function adaptiveGeometry(op: string, x: Tensor, outputSize: AdaptiveSize): AdaptivePool2dGeometry {
  checkTensor(op, 'input', x);
  if (x.ndim !== 4)
    throw new RangeError(`${op}: input must be 4-D [N,C,H,W], got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape;
  const pair =
    outputSize === null || typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw new RangeError(
      `${op}: outputSize must be a number or [h, w], got ${String(outputSize)}; input ${fmtShape(x.shape)}`
    );
  }
  const oh = pair[0] ?? h;
  const ow = pair[1] ?? w;
  for (const v of [oh, ow]) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `${op}: outputSize must hold positive integers (or null), got ` +
          `[${pair.map(String).join(', ')}]; input ${fmtShape(x.shape)}`
      );
    }
  }
  return { n, c, h, w, oh, ow };
}

/**
 * Adaptive average pooling to outputSize (as torch.nn.functional.adaptive_avg_pool2d): output
 * cell i averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)), likewise for columns.
 * @example F.adaptiveAvgPool2d(x, [7, 7]); F.adaptiveAvgPool2d(x, [null, 1])
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptiveAvgPool2d';
  const g = adaptiveGeometry(op, x, outputSize);
  if (g.oh === g.h && g.ow === g.w) return x.reshape(x.shape);
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  if (g.oh === 1 && g.ow === 1) {
    globalAvgPoolForward(rt, x.shape, x.buf, y.buf);
    return record(y, op, [x], (gy) => {
      const gx = Tensor.empty(x.shape);
      globalAvgPoolBackward(rt, x.shape, gy.buf, gx.buf);
      return [gx];
    });
  }
  adaptiveAvgPool2dForward(rt, g, x.buf, y.buf);
  return record(y, op, [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    adaptiveAvgPool2dBackward(rt, g, gy.buf, gx.buf);
    return [gx];
  });
}

/**
 * Adaptive max pooling to outputSize (as torch.nn.functional.adaptive_max_pool2d, values only),
 * windows as adaptiveAvgPool2d; the gradient goes to each window's first maximum.
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptiveMaxPool2d';
  const g = adaptiveGeometry(op, x, outputSize);
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  const argmax = rt.heap.allocF32(y.size);
  adaptiveMaxPool2dForward(rt, g, x.buf, y.buf, argmax);
  let released = false;
  const release = (): void => {
    if (!released) rt.heap.free(argmax);
    released = true;
  };
  return record(
    y,
    op,
    [x],
    (gy) => {
      const gx = Tensor.empty(x.shape);
      adaptiveMaxPool2dBackward(rt, g, gy.buf, argmax, gx.buf);
      return [gx];
    },
    release
  );
}

export interface Pool1dOptions {
  kernelSize: Single;
  /** Defaults to kernelSize, as in PyTorch. */
  stride?: Single;
  padding?: Single;
  /** avgPool1d only (default true, as in PyTorch). */
  countIncludePad?: boolean;
}

function single(op: string, name: string, v: Single | undefined): number | undefined {
  if (v === undefined || typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  throw new RangeError(`${op}: ${name} must be a number or [n], got ${String(v)}`);
}

/** [N,C,L] or [C,L] as [N,C,1,L], the 2-D pool options over it, and the output shape maker. */
function as2d(
  op: string,
  x: Tensor,
  options: Pool1dOptions | number
): { x4: Tensor; opts2: Pool2dOptions; shape: (l: number) => number[] } {
  checkTensor(op, 'input', x);
  const opts: Pool1dOptions = typeof options === 'number' ? { kernelSize: options } : options;
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new RangeError(`${op}: input must be 3-D [N,C,L] or 2-D [C,L], got ${fmtShape(x.shape)}`);
  }
  const [n, c, l] = x.ndim === 2 ? [1, x.shape[0], x.shape[1]] : x.shape;
  const k = single(op, 'kernelSize', opts?.kernelSize);
  if (k === undefined)
    throw new RangeError(`${op}: kernelSize is required; input ${fmtShape(x.shape)}`);
  const s = single(op, 'stride', opts.stride) ?? k;
  const p = single(op, 'padding', opts.padding) ?? 0;
  if (Number.isInteger(k) && Number.isInteger(p) && 2 * p > k) {
    throw new RangeError(
      `${op}: padding (${p}) must be at most half of kernelSize (${k}); input ${fmtShape(x.shape)}`
    );
  }
  if (Number.isInteger(k) && Number.isInteger(p) && l + 2 * p < k) {
    throw new RangeError(
      `${op}: kernelSize ${k} is larger than the padded input ${l + 2 * p}; input ${fmtShape(x.shape)}`
    );
  }
  const opts2: Pool2dOptions = {
    kernelSize: [1, k],
    stride: [1, s],
    padding: [0, p],
    countIncludePad: opts.countIncludePad,
  };
  return {
    x4: x.reshape([n, c, 1, l]),
    opts2,
    shape: (lo) => (x.ndim === 2 ? [c, lo] : [n, c, lo]),
  };
}

/**
 * Max pooling over the last dim of [N,C,L] or [C,L] (as torch.nn.functional.max_pool1d); a
 * number is the kernel size (stride = kernel size).
 * @example F.maxPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }); F.maxPool1d(x, 2)
 */
export function maxPool1d(x: Tensor, opts: Pool1dOptions | number): Tensor {
  const { x4, opts2, shape } = as2d('maxPool1d', x, opts);
  const y = maxPool2d(x4, opts2);
  return y.reshape(shape(y.shape[3]));
}

/** Average pooling over the last dim of [N,C,L] or [C,L] (as torch.nn.functional.avg_pool1d). */
export function avgPool1d(x: Tensor, opts: Pool1dOptions | number): Tensor {
  const { x4, opts2, shape } = as2d('avgPool1d', x, opts);
  const y = avgPool2d(x4, opts2);
  return y.reshape(shape(y.shape[3]));
}
