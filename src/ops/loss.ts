// F.crossEntropy: fused log-softmax + negative log-likelihood, mean over the batch.

import { record } from '../autograd/tape.js';
import { softmaxXentBackward, softmaxXentForward } from '../runtime/kernels/loss.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

/** Mean cross-entropy of logits [B, K] against integer class labels [B]; a scalar tensor. */
export function crossEntropy(logits: Tensor, labels: Int32Array | readonly number[]): Tensor {
  checkTensor('crossEntropy', 'logits', logits);
  if (logits.ndim !== 2) {
    throw new RangeError(`crossEntropy: logits must be 2-D [batch, classes], got ${fmtShape(logits.shape)}`);
  }
  const [batch, classes] = logits.shape;
  if (labels.length !== batch) {
    throw new RangeError(`crossEntropy: ${labels.length} labels for logits ${fmtShape(logits.shape)} (batch ${batch})`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i])) {
      throw new RangeError(`crossEntropy: labels[${i}] = ${labels[i]} is not an integer class index`);
    }
  }
  const rt = getRuntime();
  const lab = rt.heap.allocF32(batch);
  rt.heap.viewI32(lab).set(labels);
  const probs = rt.heap.allocF32(batch * classes);
  const release = (): void => {
    rt.heap.free(lab);
    rt.heap.free(probs);
  };
  let value: number;
  try {
    value = softmaxXentForward(rt, { batch, classes, logits: logits.buf, labels: lab, probs });
  } catch (e) {
    release();
    throw e;
  }
  const y = Tensor.empty([]);
  y.data()[0] = value;
  let released = false;
  return record(y, 'crossEntropy', [logits], (gy) => {
    const gx = Tensor.empty(logits.shape);
    softmaxXentBackward(rt, { batch, classes, labels: lab, probs, gradLogits: gx.buf, scale: gy.item() });
    return [gx];
  }, () => {
    if (!released) release();
    released = true;
  });
}
