// Typed binding of assembly/loss.ts: softmax + cross-entropy (PyTorch's F.cross_entropy with
// reduction 'mean') over logits [batch, classes] and i32 labels [batch].

import { checkBuf, checkFinite, checkInt } from '../check.js';
import type { F32Buf } from '../heap.js';
import type { Runtime } from '../load.js';
import { kernel } from './call.js';

export interface SoftmaxXentArgs {
  batch: number;
  classes: number;
  /** [batch, classes] row-major. */
  logits: F32Buf;
  /** [batch] class indices in [0, classes): an F32Buf whose bytes hold i32 (rt.heap.viewI32). */
  labels: F32Buf;
  /** [batch, classes]: written by the forward, read by the backward. */
  probs: F32Buf;
}

export interface SoftmaxXentBackwardArgs extends Omit<SoftmaxXentArgs, 'logits'> {
  /** [batch, classes], overwritten. */
  gradLogits: F32Buf;
  /** The upstream gradient of the mean loss; 1 when the loss is the output. */
  scale?: number;
}

function checkCommon(rt: Runtime, op: string, a: Omit<SoftmaxXentArgs, 'logits'>): void {
  checkInt(op, 'batch', a.batch, 1);
  checkInt(op, 'classes', a.classes, 1);
  const bk = `[${a.batch},${a.classes}]`;
  checkBuf(op, 'labels', a.labels, a.batch, `labels [${a.batch}]`);
  checkBuf(op, 'probs', a.probs, a.batch * a.classes, `probs ${bk}`);
  const labels = rt.heap.viewI32(a.labels);
  for (let i = 0; i < a.batch; i++) {
    const v = labels[i];
    if (v < 0 || v >= a.classes) {
      throw new RangeError(
        `${op}: labels[${i}] = ${v} is out of range [0, ${a.classes}); ` + `logits ${bk}`
      );
    }
  }
}

/** Writes softmax(logits) to probs and returns the mean cross-entropy over the batch. */
export function softmaxXentForward(rt: Runtime, a: SoftmaxXentArgs): number {
  const op = 'crossEntropy';
  checkCommon(rt, op, a);
  checkBuf(op, 'logits', a.logits, a.batch * a.classes, `logits [${a.batch},${a.classes}]`);
  return kernel(rt, 'softmax_xent_fwd')(
    a.logits.ptr,
    a.labels.ptr,
    a.probs.ptr,
    a.batch,
    a.classes
  );
}

/** gradLogits = (probs - onehot(labels)) * scale / batch. */
export function softmaxXentBackward(rt: Runtime, a: SoftmaxXentBackwardArgs): void {
  const op = 'crossEntropy_backward';
  const scale = a.scale ?? 1;
  checkCommon(rt, op, a);
  checkFinite(op, 'scale', scale);
  checkBuf(
    op,
    'gradLogits',
    a.gradLogits,
    a.batch * a.classes,
    `gradLogits [${a.batch},${a.classes}]`
  );
  kernel(rt, 'softmax_xent_bwd')(
    a.probs.ptr,
    a.labels.ptr,
    a.gradLogits.ptr,
    a.batch,
    a.classes,
    scale
  );
}
