// F.crossEntropy: fused log-softmax + negative log-likelihood, mean over the batch.

import { record } from '../autograd/tape.js';
import { softmaxXentBackward, softmaxXentForward } from '../runtime/kernels/loss.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

export interface CrossEntropyOptions {
  /** PyTorch's label_smoothing: the target is (1 - s) one-hot + s / classes. */
  labelSmoothing?: number;
}

/** Mean cross-entropy of logits [B, K] against integer class labels [B]; a scalar tensor. */
export function crossEntropy(logits: Tensor, labels: Int32Array | readonly number[],
  opts: CrossEntropyOptions = {}): Tensor {
  const smoothing = opts.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  }
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
  let released = false;
  if (smoothing > 0) {
    // + s * (mean over classes of -log p - (-log p_label)): -log p_k = lse - l_k, so the
    // smoothed loss adds s * (l_label - mean_k l_k) per row; gradient (probs - target) / B.
    const l = logits.rawData();
    let extra = 0;
    for (let i = 0; i < batch; i++) {
      let m = 0;
      for (let k = 0; k < classes; k++) m += l[i * classes + k];
      extra += l[i * classes + labels[i]] - m / classes;
    }
    y.rawData()[0] = value + (smoothing * extra) / batch;
    return record(y, 'crossEntropy', [logits], (gy) => {
      const gx = Tensor.empty(logits.shape);
      const p = rt.heap.view(probs);
      const g = gx.rawData();
      const sc = gy.item() / batch;
      for (let i = 0; i < batch; i++) {
        for (let k = 0; k < classes; k++) {
          const target = (k === labels[i] ? 1 - smoothing : 0) + smoothing / classes;
          g[i * classes + k] = (p[i * classes + k] - target) * sc;
        }
      }
      return [gx];
    }, () => {
      if (!released) release();
      released = true;
    });
  }
  y.rawData()[0] = value;
  return record(y, 'crossEntropy', [logits], (gy) => {
    const gx = Tensor.empty(logits.shape);
    softmaxXentBackward(rt, { batch, classes, labels: lab, probs, gradLogits: gx.buf, scale: gy.item() });
    return [gx];
  }, () => {
    if (!released) release();
    released = true;
  });
}
