// What a training step computes, shared by the Trainer (one thread) and the data-parallel
// replicas: the loss and metrics a run uses (defaults by target kind), the target a batch hands
// them, and checked calls of both. Tests: test/train/custom.test.ts, test/parallel/custom.test.ts.

import type { Targets } from '../data/loader.js';
import * as F from '../nn/functional.js';
import { Tensor, fmtShape, tensor } from '../tensor/tensor.js';
import { accuracy, type LossFunction, type MetricFunction } from './metrics.js';

/** The target a loss and the metrics get for the first `size` samples of a batch. */
export function batchTarget(
  y: Targets,
  size: number,
  targetShape: readonly number[] | null
): Int32Array | Tensor {
  if (y instanceof Int32Array) return y.subarray(0, size);
  const shape = [size, ...(targetShape ?? [])];
  const per = shape.reduce((a, b) => a * b, 1) / size;
  return tensor(y.subarray(0, size * per), shape);
}

/** The loss of one batch: a scalar tensor, checked. */
export function computeLoss(
  loss: LossFunction,
  output: Tensor,
  target: Int32Array | Tensor,
  who: string
): Tensor {
  const value = loss(output, target);
  if (!(value instanceof Tensor) || value.size !== 1) {
    throw new TypeError(
      `${who}: the loss must return a scalar Tensor (the mean over the batch), ` +
        `got ${value instanceof Tensor ? `a Tensor of shape ${fmtShape(value.shape)}` : typeof value}`
    );
  }
  return value;
}

/** Each metric's sum over one batch. */
export function computeMetrics(
  metrics: readonly [string, MetricFunction][],
  output: Tensor,
  target: Int32Array | Tensor,
  who: string
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, fn] of metrics) {
    const v = fn(output, target);
    if (typeof v !== 'number') {
      throw new TypeError(
        `${who}: metric '${name}' must return a number (its sum over the batch), ` +
          `got ${typeof v}`
      );
    }
    out[name] = v;
  }
  return out;
}

/** The loss a run uses: the given one, cross-entropy (with label smoothing) by default for class
 * labels; F.crossEntropy itself also gets the label smoothing. */
export function resolveLoss(
  loss: LossFunction | undefined,
  labels: boolean,
  labelSmoothing: number | undefined,
  who: string
): LossFunction {
  if (loss !== undefined && typeof loss !== 'function') {
    throw new TypeError(
      `${who}: loss must be a function (output, target) => Tensor, got ${typeof loss}`
    );
  }
  if (loss === undefined && !labels) {
    throw new Error(
      `${who}: float targets need a loss: give loss: (output, target) => Tensor ` +
        '(a scalar, the mean over the batch; e.g. a mean squared error)'
    );
  }
  if (loss === undefined || loss === F.crossEntropy) {
    if (!labelSmoothing) return F.crossEntropy;
    return (output: Tensor, target: Int32Array) =>
      F.crossEntropy(output, target, { labelSmoothing });
  }
  return loss;
}

/** The metrics a run reports: the given ones, else accuracy for class labels and none for float
 * targets. */
export function resolveMetrics(
  metrics: Record<string, MetricFunction> | undefined,
  labels: boolean,
  who: string
): [string, MetricFunction][] {
  if (metrics === undefined) return labels ? [['accuracy', accuracy]] : [];
  const out = Object.entries(metrics);
  for (const [name, fn] of out) {
    if (typeof fn !== 'function') {
      throw new TypeError(`${who}: metrics.${name} must be a function (output, target) => number`);
    }
  }
  return out;
}
