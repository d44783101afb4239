// F.batchNorm, F.layerNorm (over the last dims), F.groupNorm, F.layerNorm2d (LayerNorm over
// channels, ConvNeXt style), F.gelu, F.silu. Tests: test/ops/norm.test.ts, test/ops/nnops*.test.ts.

import { record } from '../autograd/tape.js';
import {
  activationBackward,
  activationForward,
  batchNorm2dBackward,
  batchNorm2dForward,
  groupNormBackward,
  groupNormForward,
  layerNorm2dBackward,
  layerNorm2dForward,
  layerNormRowsBackward,
  layerNormRowsForward,
  nchwDims,
} from '../runtime/kernels/norm.js';
import type { F32Buf } from '../runtime/heap.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

/** Two heap buffers of n floats that forward saves for backward, and their one-time release. */
function savedStats(n: number): { mean: F32Buf; invstd: F32Buf; release: () => void } {
  const rt = getRuntime();
  const mean = rt.heap.allocF32(n);
  const invstd = rt.heap.allocF32(n);
  let released = false;
  return {
    mean,
    invstd,
    release: () => {
      if (released) return;
      released = true;
      rt.heap.free(mean);
      rt.heap.free(invstd);
    },
  };
}

export interface BatchNormOptions {
  training?: boolean;
  momentum?: number;
  eps?: number;
}

function checkPerChannel(op: string, name: string, t: Tensor | null, c: number, x: Tensor): void {
  if (!t) return;
  checkTensor(op, name, t);
  if (t.size !== c)
    throw new RangeError(
      `${op}: ${name} must have ${c} values (channels of input ${fmtShape(x.shape)}), got ${fmtShape(t.shape)}`
    );
}

/**
 * Batch normalisation over [N, C, ...] with statistics per channel (as F.batch_norm): in
 * training mode the batch's, and runningMean/runningVar (if given) move by momentum; in eval
 * mode the running ones.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: BatchNormOptions = {}
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'input', x);
  const [, c] = nchwDims(op, x.shape);
  checkPerChannel(op, 'runningMean', runningMean, c, x);
  checkPerChannel(op, 'runningVar', runningVar, c, x);
  checkPerChannel(op, 'weight', weight, c, x);
  checkPerChannel(op, 'bias', bias, c, x);
  const training = opts.training ?? false;
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  const { mean: saveMean, invstd: saveInvstd, release } = savedStats(c);
  try {
    batchNorm2dForward(rt, x.shape, {
      x: x.buf,
      y: y.buf,
      gamma: weight?.buf ?? null,
      beta: bias?.buf ?? null,
      saveMean,
      saveInvstd,
      runningMean: runningMean?.buf ?? null,
      runningVar: runningVar?.buf ?? null,
      eps: opts.eps ?? 1e-5,
      momentum: opts.momentum ?? 0.1,
      training,
    });
  } catch (e) {
    release();
    throw e;
  }
  if (!training) {
    // eval: y = x * s + t per channel, s = weight / sqrt(rv + eps); a per-channel scale
    release();
    const eps = opts.eps ?? 1e-5;
    return record(
      y,
      'batchNorm(eval)',
      [x, weight, bias],
      (gy, needs) => {
        const rv = runningVar!.rawData();
        const rm = runningMean!.rawData();
        const w = weight?.rawData();
        const [n, ch, hw] = nchwDims(op, x.shape);
        const g = gy.rawData();
        const xs = x.rawData();
        let gx: Tensor | null = null;
        let gw: Tensor | null = null;
        let gb: Tensor | null = null;
        if (needs[0]) gx = Tensor.empty(x.shape);
        if (needs[1]) gw = Tensor.empty([ch]);
        if (needs[2]) gb = Tensor.empty([ch]);
        const gxd = gx?.rawData();
        for (let cc = 0; cc < ch; cc++) {
          const inv = 1 / Math.sqrt(rv[cc] + eps);
          const s = (w ? w[cc] : 1) * inv;
          let sw = 0;
          let sb = 0;
          for (let nn = 0; nn < n; nn++) {
            const o = (nn * ch + cc) * hw;
            for (let i = 0; i < hw; i++) {
              sb += g[o + i];
              sw += g[o + i] * (xs[o + i] - rm[cc]) * inv;
              if (gxd) gxd[o + i] = g[o + i] * s;
            }
          }
          if (gw) gw.rawData()[cc] = sw;
          if (gb) gb.rawData()[cc] = sb;
        }
        return [gx, gw, gb];
      },
      undefined,
      { runningMean, runningVar, eps }
    );
  }
  return record(
    y,
    'batchNorm',
    [x, weight, bias],
    (gy, needs) => {
      const gx = needs[0] ? Tensor.empty(x.shape) : null;
      const gw = needs[1] ? Tensor.empty(weight!.shape) : null;
      const gb = needs[2] ? Tensor.empty(bias!.shape) : null;
      batchNorm2dBackward(
        rt,
        x.shape,
        x.buf,
        gy.buf,
        weight?.buf ?? null,
        saveMean,
        saveInvstd,
        gx?.buf ?? null,
        gw?.buf ?? null,
        gb?.buf ?? null
      );
      return [gx, gw, gb];
    },
    release
  );
}

/** LayerNorm over the channel dimension of [N, C, ...] at every pixel (ConvNeXt's channels-first
 * LayerNorm), with per-channel weight and bias. */
export function layerNorm2d(
  x: Tensor,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-6
): Tensor {
  const op = 'layerNorm2d';
  checkTensor(op, 'input', x);
  const [n, c, hw] = nchwDims(op, x.shape);
  checkPerChannel(op, 'weight', weight, c, x);
  checkPerChannel(op, 'bias', bias, c, x);
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  const { mean: saveMean, invstd: saveInvstd, release } = savedStats(n * hw);
  layerNorm2dForward(
    rt,
    x.shape,
    x.buf,
    y.buf,
    weight?.buf ?? null,
    bias?.buf ?? null,
    saveMean,
    saveInvstd,
    eps
  );
  return record(
    y,
    'layerNorm2d',
    [x, weight, bias],
    (gy, needs) => {
      const gx = needs[0] ? Tensor.empty(x.shape) : null;
      const gw = needs[1] ? Tensor.empty(weight!.shape) : null;
      const gb = needs[2] ? Tensor.empty(bias!.shape) : null;
      layerNorm2dBackward(
        rt,
        x.shape,
        x.buf,
        gy.buf,
        weight?.buf ?? null,
        saveMean,
        saveInvstd,
        gx?.buf ?? null,
        gw?.buf ?? null,
        gb?.buf ?? null
      );
      return [gx, gw, gb];
    },
    release,
    { eps }
  );
}

function activation(kind: 'gelu' | 'silu', x: Tensor): Tensor {
  checkTensor(kind, 'input', x);
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  activationForward(rt, kind, x.buf, y.buf, x.size);
  return record(y, kind, [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    activationBackward(rt, kind, x.buf, gy.buf, gx.buf, x.size);
    return [gx];
  });
}

/** GELU, exact (erf) form as torch.nn.GELU(). */
export function gelu(x: Tensor): Tensor {
  return activation('gelu', x);
}

/** SiLU (swish): x * sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return activation('silu', x);
}

/**
 * Layer normalisation over the last dims (as torch.nn.functional.layer_norm): x [..., *shape]
 * with normalizedShape = shape; per row the mean and biased variance (eps inside the square
 * root), then weight and bias of normalizedShape if given.
 * @example F.layerNorm(x, [x.shape.at(-1)!], w, b)
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5
): Tensor {
  const op = 'layerNorm';
  checkTensor(op, 'input', x);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = ns.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k === 0 || k > x.ndim || ns.some((d, i) => d !== tail[i])) {
    throw new RangeError(
      `${op}: given normalizedShape ${fmtShape(ns)}, expected input with shape ` +
        `[*, ${ns.join(', ')}], got ${fmtShape(x.shape)}`
    );
  }
  const d = ns.reduce((a, b) => a * b, 1);
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (!t) continue;
    checkTensor(op, name, t);
    if (t.ndim !== k || t.shape.some((v, i) => v !== ns[i])) {
      throw new RangeError(
        `${op}: ${name} must have shape normalizedShape ${fmtShape(ns)}, got ${fmtShape(t.shape)}; input ${fmtShape(x.shape)}`
      );
    }
  }
  const rows = x.size / d;
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  const { mean, invstd, release } = savedStats(rows);
  layerNormRowsForward(
    rt,
    rows,
    d,
    x.buf,
    y.buf,
    weight?.buf ?? null,
    bias?.buf ?? null,
    mean,
    invstd,
    eps
  );
  return record(
    y,
    op,
    [x, weight, bias],
    (gy, needs) => {
      const gx = needs[0] ? Tensor.empty(x.shape) : null;
      const gw = needs[1] ? Tensor.empty(weight!.shape) : null;
      const gb = needs[2] ? Tensor.empty(bias!.shape) : null;
      layerNormRowsBackward(
        rt,
        rows,
        d,
        x.buf,
        gy.buf,
        weight?.buf ?? null,
        mean,
        invstd,
        gx?.buf ?? null,
        gw?.buf ?? null,
        gb?.buf ?? null
      );
      return [gx, gw, gb];
    },
    release,
    { normalizedShape: ns, eps }
  );
}

/**
 * Group normalisation (as torch.nn.functional.group_norm): x [N, C, ...] normalised per sample
 * over each group of C/numGroups channels (biased variance, eps inside the square root), then
 * the per-channel weight and bias [C] if given.
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5
): Tensor {
  const op = 'groupNorm';
  checkTensor(op, 'input', x);
  if (x.ndim < 2)
    throw new RangeError(`${op}: input must be [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new RangeError(
      `${op}: expected the number of channels in input to be divisible by ` +
        `numGroups, got input ${fmtShape(x.shape)} and numGroups=${numGroups}`
    );
  }
  checkPerChannel(op, 'weight', weight, c, x);
  checkPerChannel(op, 'bias', bias, c, x);
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  const { mean, invstd, release } = savedStats(x.shape[0] * numGroups);
  groupNormForward(
    rt,
    x.shape,
    numGroups,
    x.buf,
    y.buf,
    weight?.buf ?? null,
    bias?.buf ?? null,
    mean,
    invstd,
    eps
  );
  return record(
    y,
    op,
    [x, weight, bias],
    (gy, needs) => {
      const gx = needs[0] ? Tensor.empty(x.shape) : null;
      const gw = needs[1] ? Tensor.empty(weight!.shape) : null;
      const gb = needs[2] ? Tensor.empty(bias!.shape) : null;
      groupNormBackward(
        rt,
        x.shape,
        numGroups,
        x.buf,
        gy.buf,
        weight?.buf ?? null,
        mean,
        invstd,
        gx?.buf ?? null,
        gw?.buf ?? null,
        gb?.buf ?? null
      );
      return [gx, gw, gb];
    },
    release,
    { numGroups, eps }
  );
}
