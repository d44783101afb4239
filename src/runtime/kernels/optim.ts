// Typed binding of assembly/optim.ts: one in-place SGD or Adam/AdamW step over a flat parameter
// buffer, with torch.optim's argument rules. The optimizer classes own the state buffers.

import { checkBuf, checkFinite, checkInt, count } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

export interface SgdStepArgs {
  param: F32Buf;
  grad: F32Buf;
  /** Needed when momentum != 0; initialised from the gradient when firstStep. */
  momentumBuf?: F32Buf | null;
  /** Values to update; defaults to param.length. */
  n?: number;
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** True on the first step with this momentum buffer (PyTorch: buffer is None). */
  firstStep: boolean;
}

export interface AdamStepArgs {
  param: F32Buf;
  grad: F32Buf;
  /** First and second moment buffers, zero before step 1. */
  m: F32Buf;
  v: F32Buf;
  n?: number;
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  /** 1 on the first update (PyTorch increments state['step'] before using it). */
  step: number;
  /** true: AdamW (param *= 1 - lr * weightDecay); false: Adam (L2 added to the gradient). */
  decoupled?: boolean;
}

function checkNonNeg(op: string, name: string, v: number): void {
  checkFinite(op, name, v);
  if (v < 0) throw new RangeError(`${op}: ${name} must be >= 0, got ${v}`);
}

/** One torch.optim.SGD step, in place on param (and momentumBuf). */
export function sgdStep(rt: Runtime, a: SgdStepArgs): void {
  const op = 'SGD';
  const momentum = a.momentum ?? 0;
  const dampening = a.dampening ?? 0;
  const weightDecay = a.weightDecay ?? 0;
  const nesterov = a.nesterov ?? false;
  const n = count(op, a.n, a.param, 'param');
  checkNonNeg(op, 'lr', a.lr);
  checkNonNeg(op, 'momentum', momentum);
  checkFinite(op, 'dampening', dampening);
  checkNonNeg(op, 'weightDecay', weightDecay);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(
      `${op}: nesterov needs momentum > 0 and dampening = 0, got momentum ` +
        `${momentum}, dampening ${dampening}`
    );
  }
  checkBuf(op, 'param', a.param, n, `n = ${n}`);
  checkBuf(op, 'grad', a.grad, n, `param of ${n} values`);
  if (momentum !== 0) checkBuf(op, 'momentumBuf', a.momentumBuf, n, `param of ${n} values`);
  kernel(rt, 'sgd_step')(
    a.param.ptr,
    a.grad.ptr,
    momentum !== 0 ? a.momentumBuf!.ptr : 0,
    n,
    a.lr,
    momentum,
    dampening,
    weightDecay,
    nesterov ? 1 : 0,
    a.firstStep ? 1 : 0
  );
}

/** One torch.optim.Adam (or AdamW, decoupled) step, in place on param, m and v. */
export function adamStep(rt: Runtime, a: AdamStepArgs): void {
  const op = a.decoupled ? 'AdamW' : 'Adam';
  const lr = a.lr ?? 1e-3;
  const [beta1, beta2] = a.betas ?? [0.9, 0.999];
  const eps = a.eps ?? 1e-8;
  const weightDecay = a.weightDecay ?? 0;
  const n = count(op, a.n, a.param, 'param');
  checkNonNeg(op, 'lr', lr);
  checkNonNeg(op, 'eps', eps);
  checkNonNeg(op, 'weightDecay', weightDecay);
  for (const [name, b] of [
    ['betas[0]', beta1],
    ['betas[1]', beta2],
  ] as const) {
    if (!(b >= 0 && b < 1)) throw new RangeError(`${op}: ${name} must be in [0, 1), got ${b}`);
  }
  checkInt(op, 'step', a.step, 1);
  checkBuf(op, 'param', a.param, n, `n = ${n}`);
  checkBuf(op, 'grad', a.grad, n, `param of ${n} values`);
  checkBuf(op, 'm', a.m, n, `param of ${n} values`);
  checkBuf(op, 'v', a.v, n, `param of ${n} values`);
  kernel(rt, 'adam_step')(
    a.param.ptr,
    a.grad.ptr,
    a.m.ptr,
    a.v.ptr,
    n,
    lr,
    beta1,
    beta2,
    eps,
    weightDecay,
    a.step,
    a.decoupled ? 1 : 0
  );
}
