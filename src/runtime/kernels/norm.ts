// Typed binding of assembly/norm.ts: batch norm and channels-first layer norm over NCHW, GELU
// and SiLU. Buffers are F32Bufs; optional ones (affine, running statistics) may be null. With
// intra-op threads (../threads.ts) a large eval-mode batch norm is split into ranges of images,
// or of channels for one image. Tests: test/parallel/threads.test.ts (the splits).

import { checkBuf, checkFinite, checkInt, nchw } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { elementParts, partRange, runParts } from '../threads.js';
import { kernel } from './call.js';

/** [N, C, HW] of a 2-D-or-more NCHW shape. */
export function nchwDims(op: string, shape: readonly number[]): [number, number, number] {
  return nchw(op, shape);
}

function opt(b: F32Buf | null): number {
  return b ? b.ptr : 0;
}

export interface BatchNormArgs {
  x: F32Buf;
  y: F32Buf;
  gamma: F32Buf | null;
  beta: F32Buf | null;
  /** [C] each: written in training mode, read by the backward. */
  saveMean: F32Buf;
  saveInvstd: F32Buf;
  runningMean: F32Buf | null;
  runningVar: F32Buf | null;
  eps: number;
  momentum: number;
  training: boolean;
}

export function batchNorm2dForward(rt: Runtime, shape: readonly number[], a: BatchNormArgs): void {
  const op = 'batchNorm2d';
  const [n, c, hw] = nchwDims(op, shape);
  const total = n * c * hw;
  checkBuf(op, 'input', a.x, total, `input [${shape.join(',')}]`);
  checkBuf(op, 'output', a.y, total, `input [${shape.join(',')}]`);
  for (const [name, b] of [
    ['weight', a.gamma],
    ['bias', a.beta],
    ['runningMean', a.runningMean],
    ['runningVar', a.runningVar],
  ] as const) {
    if (b) checkBuf(op, name, b, c, `${c} channels`);
  }
  checkFinite(op, 'eps', a.eps);
  checkFinite(op, 'momentum', a.momentum);
  if (a.training) {
    if (n * hw < 2) {
      throw new RangeError(
        `${op}: expected more than 1 value per channel when training, got input [${shape.join(',')}]`
      );
    }
    checkBuf(op, 'saveMean', a.saveMean, c, `${c} channels`);
    checkBuf(op, 'saveInvstd', a.saveInvstd, c, `${c} channels`);
    if (!!a.runningMean !== !!a.runningVar)
      throw new Error(`${op}: runningMean and runningVar go together`);
    kernel(rt, 'batchnorm2d_fwd_train')(
      a.x.ptr,
      a.y.ptr,
      opt(a.gamma),
      opt(a.beta),
      a.saveMean.ptr,
      a.saveInvstd.ptr,
      opt(a.runningMean),
      opt(a.runningVar),
      n,
      c,
      hw,
      a.eps,
      a.momentum
    );
  } else {
    if (!a.runningMean || !a.runningVar)
      throw new Error(`${op}: eval mode needs running statistics (trackRunningStats)`);
    const { runningMean, runningVar } = a;
    // Channels of one image, or whole images (a channel's planes are C * HW apart).
    const units = n > 1 ? n : c;
    const parts = elementParts(rt, total, units);
    const calls: number[][] = [];
    for (let i = 0; i < parts; i++) {
      const [u0, u1] = partRange(units, parts, i);
      const [n0, nn, c0, cc] = n > 1 ? [u0, u1 - u0, 0, c] : [0, 1, u0, u1 - u0];
      const o = 4 * ((n0 * c + c0) * hw);
      calls.push([
        a.x.ptr + o,
        a.y.ptr + o,
        a.gamma ? a.gamma.ptr + 4 * c0 : 0,
        a.beta ? a.beta.ptr + 4 * c0 : 0,
        runningMean.ptr + 4 * c0,
        runningVar.ptr + 4 * c0,
        nn,
        cc,
        hw,
        a.eps,
      ]);
    }
    runParts(rt, 'batchnorm2d_fwd_eval', calls);
  }
}

export function batchNorm2dBackward(
  rt: Runtime,
  shape: readonly number[],
  x: F32Buf,
  gy: F32Buf,
  gamma: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  gx: F32Buf | null,
  gGamma: F32Buf | null,
  gBeta: F32Buf | null
): void {
  const op = 'batchNorm2d_backward';
  const [n, c, hw] = nchwDims(op, shape);
  checkBuf(op, 'input', x, n * c * hw, `input [${shape.join(',')}]`);
  checkBuf(op, 'gradOut', gy, n * c * hw, `input [${shape.join(',')}]`);
  if (gx) checkBuf(op, 'gradIn', gx, n * c * hw, `input [${shape.join(',')}]`);
  checkBuf(op, 'saveMean', saveMean, c, `${c} channels`);
  checkBuf(op, 'saveInvstd', saveInvstd, c, `${c} channels`);
  for (const [name, b] of [
    ['weight', gamma],
    ['gradWeight', gGamma],
    ['gradBias', gBeta],
  ] as const) {
    if (b) checkBuf(op, name, b, c, `${c} channels`);
  }
  kernel(rt, 'batchnorm2d_bwd')(
    x.ptr,
    gy.ptr,
    opt(gamma),
    saveMean.ptr,
    saveInvstd.ptr,
    opt(gx),
    opt(gGamma),
    opt(gBeta),
    n,
    c,
    hw
  );
}

export function layerNorm2dForward(
  rt: Runtime,
  shape: readonly number[],
  x: F32Buf,
  y: F32Buf,
  gamma: F32Buf | null,
  beta: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  eps: number
): void {
  const op = 'layerNorm2d';
  const [n, c, hw] = nchwDims(op, shape);
  checkBuf(op, 'input', x, n * c * hw, `input [${shape.join(',')}]`);
  checkBuf(op, 'output', y, n * c * hw, `input [${shape.join(',')}]`);
  checkBuf(op, 'saveMean', saveMean, n * hw, `${n * hw} pixels`);
  checkBuf(op, 'saveInvstd', saveInvstd, n * hw, `${n * hw} pixels`);
  if (gamma) checkBuf(op, 'weight', gamma, c, `${c} channels`);
  if (beta) checkBuf(op, 'bias', beta, c, `${c} channels`);
  checkFinite(op, 'eps', eps);
  kernel(rt, 'layernorm2d_fwd')(
    x.ptr,
    y.ptr,
    opt(gamma),
    opt(beta),
    saveMean.ptr,
    saveInvstd.ptr,
    n,
    c,
    hw,
    eps
  );
}

export function layerNorm2dBackward(
  rt: Runtime,
  shape: readonly number[],
  x: F32Buf,
  gy: F32Buf,
  gamma: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  gx: F32Buf | null,
  gGamma: F32Buf | null,
  gBeta: F32Buf | null
): void {
  const op = 'layerNorm2d_backward';
  const [n, c, hw] = nchwDims(op, shape);
  for (const [name, b] of [
    ['input', x],
    ['gradOut', gy],
    ['gradIn', gx],
  ] as const) {
    if (b) checkBuf(op, name, b, n * c * hw, `input [${shape.join(',')}]`);
  }
  checkBuf(op, 'saveMean', saveMean, n * hw, `${n * hw} pixels`);
  checkBuf(op, 'saveInvstd', saveInvstd, n * hw, `${n * hw} pixels`);
  for (const [name, b] of [
    ['weight', gamma],
    ['gradWeight', gGamma],
    ['gradBias', gBeta],
  ] as const) {
    if (b) checkBuf(op, name, b, c, `${c} channels`);
  }
  kernel(rt, 'layernorm2d_bwd')(
    x.ptr,
    gy.ptr,
    opt(gamma),
    saveMean.ptr,
    saveInvstd.ptr,
    opt(gx),
    opt(gGamma),
    opt(gBeta),
    n,
    c,
    hw
  );
}

/** kind: 'gelu' | 'silu'; forward y = f(x). */
export function activationForward(
  rt: Runtime,
  kind: 'gelu' | 'silu',
  x: F32Buf,
  y: F32Buf,
  n: number
): void {
  checkInt(kind, 'n', n, 0);
  checkBuf(kind, 'input', x, n, `n = ${n}`);
  checkBuf(kind, 'output', y, n, `n = ${n}`);
  kernel(rt, `${kind}_fwd`)(x.ptr, y.ptr, n);
}

export function activationBackward(
  rt: Runtime,
  kind: 'gelu' | 'silu',
  x: F32Buf,
  gy: F32Buf,
  gx: F32Buf,
  n: number
): void {
  checkInt(`${kind}_backward`, 'n', n, 0);
  checkBuf(`${kind}_backward`, 'input', x, n, `n = ${n}`);
  checkBuf(`${kind}_backward`, 'gradOut', gy, n, `n = ${n}`);
  checkBuf(`${kind}_backward`, 'gradIn', gx, n, `n = ${n}`);
  kernel(rt, `${kind}_bwd`)(x.ptr, gy.ptr, gx.ptr, n);
}

/** Layer norm over rows [R, D] (the last dims of F.layerNorm); mean/invstd get R values each. */
export function layerNormRowsForward(
  rt: Runtime,
  rows: number,
  d: number,
  x: F32Buf,
  y: F32Buf,
  gamma: F32Buf | null,
  beta: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  eps: number
): void {
  const op = 'layerNorm';
  checkInt(op, 'rows', rows, 1);
  checkInt(op, 'normalized size', d, 1);
  checkBuf(op, 'input', x, rows * d, `[${rows}, ${d}]`);
  checkBuf(op, 'output', y, rows * d, `[${rows}, ${d}]`);
  checkBuf(op, 'saveMean', saveMean, rows, `${rows} rows`);
  checkBuf(op, 'saveInvstd', saveInvstd, rows, `${rows} rows`);
  if (gamma) checkBuf(op, 'weight', gamma, d, `normalized size ${d}`);
  if (beta) checkBuf(op, 'bias', beta, d, `normalized size ${d}`);
  checkFinite(op, 'eps', eps);
  kernel(rt, 'layernorm_fwd_rows')(
    x.ptr,
    y.ptr,
    opt(gamma),
    opt(beta),
    saveMean.ptr,
    saveInvstd.ptr,
    rows,
    d,
    eps
  );
}

export function layerNormRowsBackward(
  rt: Runtime,
  rows: number,
  d: number,
  x: F32Buf,
  gy: F32Buf,
  gamma: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  gx: F32Buf | null,
  gGamma: F32Buf | null,
  gBeta: F32Buf | null
): void {
  const op = 'layerNorm_backward';
  checkInt(op, 'rows', rows, 1);
  checkInt(op, 'normalized size', d, 1);
  for (const [name, b] of [
    ['input', x],
    ['gradOut', gy],
    ['gradIn', gx],
  ] as const) {
    if (b) checkBuf(op, name, b, rows * d, `[${rows}, ${d}]`);
  }
  for (const [name, b] of [
    ['weight', gamma],
    ['gradWeight', gGamma],
    ['gradBias', gBeta],
  ] as const) {
    if (b) checkBuf(op, name, b, d, `normalized size ${d}`);
  }
  checkBuf(op, 'saveMean', saveMean, rows, `${rows} rows`);
  checkBuf(op, 'saveInvstd', saveInvstd, rows, `${rows} rows`);
  kernel(rt, 'layernorm_bwd_rows')(
    x.ptr,
    gy.ptr,
    opt(gamma),
    saveMean.ptr,
    saveInvstd.ptr,
    opt(gx),
    opt(gGamma),
    opt(gBeta),
    rows,
    d
  );
}

function groupDims(op: string, shape: readonly number[], groups: number): [number, number, number] {
  const [n, c, hw] = nchwDims(op, shape);
  checkInt(op, 'numGroups', groups, 1);
  if (c % groups !== 0) {
    throw new RangeError(
      `${op}: channels (${c}) must be divisible by numGroups (${groups}); input [${shape.join(',')}]`
    );
  }
  return [n, c, hw];
}

/** Group norm over [N, C, ...]; mean/invstd get N*groups values each. */
export function groupNormForward(
  rt: Runtime,
  shape: readonly number[],
  groups: number,
  x: F32Buf,
  y: F32Buf,
  gamma: F32Buf | null,
  beta: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  eps: number
): void {
  const op = 'groupNorm';
  const [n, c, hw] = groupDims(op, shape, groups);
  checkBuf(op, 'input', x, n * c * hw, `input [${shape.join(',')}]`);
  checkBuf(op, 'output', y, n * c * hw, `input [${shape.join(',')}]`);
  checkBuf(op, 'saveMean', saveMean, n * groups, `${n * groups} (sample, group) pairs`);
  checkBuf(op, 'saveInvstd', saveInvstd, n * groups, `${n * groups} (sample, group) pairs`);
  if (gamma) checkBuf(op, 'weight', gamma, c, `${c} channels`);
  if (beta) checkBuf(op, 'bias', beta, c, `${c} channels`);
  checkFinite(op, 'eps', eps);
  kernel(rt, 'groupnorm_fwd_nchw')(
    x.ptr,
    y.ptr,
    opt(gamma),
    opt(beta),
    saveMean.ptr,
    saveInvstd.ptr,
    n,
    c,
    hw,
    groups,
    eps
  );
}

export function groupNormBackward(
  rt: Runtime,
  shape: readonly number[],
  groups: number,
  x: F32Buf,
  gy: F32Buf,
  gamma: F32Buf | null,
  saveMean: F32Buf,
  saveInvstd: F32Buf,
  gx: F32Buf | null,
  gGamma: F32Buf | null,
  gBeta: F32Buf | null
): void {
  const op = 'groupNorm_backward';
  const [n, c, hw] = groupDims(op, shape, groups);
  for (const [name, b] of [
    ['input', x],
    ['gradOut', gy],
    ['gradIn', gx],
  ] as const) {
    if (b) checkBuf(op, name, b, n * c * hw, `input [${shape.join(',')}]`);
  }
  for (const [name, b] of [
    ['weight', gamma],
    ['gradWeight', gGamma],
    ['gradBias', gBeta],
  ] as const) {
    if (b) checkBuf(op, name, b, c, `${c} channels`);
  }
  checkBuf(op, 'saveMean', saveMean, n * groups, `${n * groups} (sample, group) pairs`);
  checkBuf(op, 'saveInvstd', saveInvstd, n * groups, `${n * groups} (sample, group) pairs`);
  kernel(rt, 'groupnorm_bwd_nchw')(
    x.ptr,
    gy.ptr,
    opt(gamma),
    saveMean.ptr,
    saveInvstd.ptr,
    opt(gx),
    opt(gGamma),
    opt(gBeta),
    n,
    c,
    hw,
    groups
  );
}
