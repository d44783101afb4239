// metrics: what the Trainer reports besides the loss, as `import { metrics } from 'simdgrad'`;
// each metric is a sum over a batch. Also the types of a loss and a metric. Data-parallel workers
// find these functions by name (nothing to import). Tests: test/train/custom.test.ts.

import { Tensor, fmtShape } from '../tensor/tensor.js';

/**
 * A loss: the mean over the batch (PyTorch's default reduction; data-parallel training weights
 * each shard's gradient by its share of the batch), as a scalar tensor. `target` is an Int32Array
 * [batch] of class labels for a labelled dataset, or a Tensor [batch, ...targetShape] of float
 * targets.
 */
// biome-ignore lint/suspicious/noExplicitAny: a loss types its own target
export type LossFunction = (output: Tensor, target: any) => Tensor;

/**
 * A metric: a number summed over the batch (e.g. the count of correct predictions); records
 * report the sum over an epoch or a data set divided by its number of samples. `target` as for
 * LossFunction.
 */
// biome-ignore lint/suspicious/noExplicitAny: as for LossFunction
export type MetricFunction = (output: Tensor, target: any) => number;

/** How many rows of logits [n, classes] have their largest value at the label. */
export function countCorrect(logits: Tensor, labels: ArrayLike<number>, n: number): number {
  const v = logits.rawData();
  const k = logits.shape[1];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j] > v[i * k + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct;
}

/**
 * The number of rows of output [batch, classes] whose largest logit is at the class label (the
 * Trainer divides the sum by the number of samples: the accuracy).
 *
 * @example
 * new Trainer({ ..., metrics: { accuracy: metrics.accuracy } });
 */
export function accuracy(output: Tensor, target: Int32Array | Tensor): number {
  const labels = target instanceof Tensor ? target.rawData() : target;
  if (output.ndim !== 2 || output.shape[0] !== labels.length) {
    throw new RangeError(
      `accuracy: output must be [batch, classes] with one class label per row; ` +
        `output ${fmtShape(output.shape)}, ${labels.length} labels`
    );
  }
  return countCorrect(output, labels, labels.length);
}
