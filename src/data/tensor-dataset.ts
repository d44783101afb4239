// data.tensorDataset: any in-memory inputs with class labels or float targets, in the form the
// DataLoader and the Trainer take (torch.utils.data.TensorDataset's role). Pure (no Node, no Wasm
// calls). Tests: test/data/tensor-dataset.test.ts.

import { Tensor, fmtShape } from '../tensor/tensor.js';
import type { Targets } from './loader.js';

/** n samples: inputs x [n, ...sampleShape] and targets y — class labels (Int32Array [n]) or
 * float targets (Float32Array [n, ...targetShape]). */
export interface TensorDataset<Y extends Targets = Targets> {
  x: Float32Array;
  y: Y;
  n: number;
  sampleShape: number[];
  /** [] for class labels. */
  targetShape: number[];
}

export interface TensorDatasetOptions {
  /** Shape of one input sample (default: from x when it is a Tensor, else [x.length / n]). */
  sampleShape?: readonly number[];
  /** Shape of one float target (default: from y when it is a Tensor, else [y.length / n]);
   * class labels have none. */
  targetShape?: readonly number[];
}

function checkShape(name: string, shape: readonly number[]): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `tensorDataset: ${name} ${JSON.stringify(shape)} must be a list of ` + 'integers > 0'
    );
  }
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A dataset of inputs x and targets y for `DataLoader` and `Trainer`. Int32Array targets are
 * class labels (one per sample; the Trainer's default loss is cross-entropy); Float32Array or
 * Tensor targets are float targets of `targetShape` each (give the Trainer a loss). The number of
 * samples n comes from a Tensor's first dimension, from sampleShape, from targetShape, or from
 * the labels, in that order. The arrays are used as they are (not copied); Tensors are copied.
 *
 * @example
 * const train = data.tensorDataset(images, labels, { sampleShape: [3, 32, 32] }); // labels Int32Array
 * const reg = data.tensorDataset(xs, ys, { sampleShape: [8], targetShape: [1] }); // regression
 */
export function tensorDataset<Y extends Targets>(
  x: Float32Array | Tensor,
  y: Y | Tensor,
  opts: TensorDatasetOptions = {}
): TensorDataset<Y extends Int32Array ? Int32Array : Float32Array> {
  const xs = x instanceof Tensor ? x.toFloat32Array() : x;
  const ys = y instanceof Tensor ? y.toFloat32Array() : y;
  if (!(xs instanceof Float32Array)) {
    throw new TypeError('tensorDataset: x must be a Float32Array or a Tensor');
  }
  if (!(ys instanceof Int32Array) && !(ys instanceof Float32Array)) {
    throw new TypeError(
      'tensorDataset: y must be an Int32Array (class labels), a Float32Array or a ' +
        'Tensor (float targets)'
    );
  }
  const labels = ys instanceof Int32Array;
  if (labels && opts.targetShape && opts.targetShape.length > 0) {
    throw new RangeError(
      `tensorDataset: class labels (Int32Array y) take one value per sample; ` +
        `targetShape ${fmtShape(opts.targetShape)} is for float targets`
    );
  }
  let n: number;
  if (x instanceof Tensor) {
    if (x.ndim < 1)
      throw new RangeError('tensorDataset: x must have a batch dimension, got a scalar');
    n = x.shape[0];
  } else if (y instanceof Tensor) {
    if (y.ndim < 1)
      throw new RangeError('tensorDataset: y must have a batch dimension, got a scalar');
    n = y.shape[0];
  } else if (opts.sampleShape) {
    n = xs.length / checkShape('sampleShape', opts.sampleShape);
  } else if (opts.targetShape && !labels) {
    n = ys.length / checkShape('targetShape', opts.targetShape);
  } else if (labels) {
    n = ys.length;
  } else {
    throw new RangeError(
      'tensorDataset: with float targets in arrays, give sampleShape or ' +
        'targetShape (how many values make one sample)'
    );
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `tensorDataset: x holds ${xs.length} values, which is no whole number ` +
        'of samples; check sampleShape'
    );
  }
  if (!labels && !opts.targetShape && !(y instanceof Tensor) && ys.length % n !== 0) {
    throw new RangeError(
      `tensorDataset: y holds ${ys.length} values, which is no whole number ` +
        `per sample for ${n} samples; check targetShape`
    );
  }
  const sampleShape = opts.sampleShape
    ? [...opts.sampleShape]
    : x instanceof Tensor
      ? x.shape.slice(1)
      : [xs.length / n];
  const targetShape = labels
    ? []
    : opts.targetShape
      ? [...opts.targetShape]
      : y instanceof Tensor
        ? y.shape.slice(1)
        : [ys.length / n];
  const sampleSize = checkShape('sampleShape', sampleShape);
  const targetSize = labels ? 1 : checkShape('targetShape', targetShape);
  if (xs.length !== n * sampleSize) {
    throw new RangeError(
      `tensorDataset: x holds ${xs.length} values, n (${n}) samples of ` +
        `${fmtShape(sampleShape)} need ${n * sampleSize}`
    );
  }
  if (ys.length !== n * targetSize) {
    throw new RangeError(
      labels
        ? `tensorDataset: ${ys.length} labels for ${n} samples`
        : `tensorDataset: y holds ${ys.length} values, n (${n}) targets of ${fmtShape(targetShape)} ` +
            `need ${n * targetSize}`
    );
  }
  return { x: xs, y: ys as never, n, sampleShape, targetShape };
}
