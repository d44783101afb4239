// small-cnn and lenet5 rebuilt in TensorFlow.js (tf.layers, NHWC) for the model benchmarks:
// a training step (optimizer.minimize of softmax cross-entropy with Adam, dropout on, the loss
// read back) and an inference pass (predict, logits read back) over fixed MNIST batches, on the
// active backend. Architectures match src/models/zoo.ts; call loadTfjs() first.

import type * as TF from '@tensorflow/tfjs';
import { summarize } from '../measure.js';
import { filled } from './tfjs-fill.js';
import { tfjs } from './tfjs.js';

/** Images (N*784 floats, normalized) and labels of one minibatch. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
}

/** One timed unit of work and what it holds. */
export interface Stepper {
  step: () => void | Promise<void>;
  params: number;
  dispose: () => void | Promise<void>;
}

export function tfModel(model: string): TF.Sequential {
  const tf = tfjs();
  const m = tf.sequential();
  if (model === 'small-cnn') {
    m.add(
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' })
    );
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.dropout({ rate: 0.25 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 10 }));
  } else if (model === 'lenet5') {
    m.add(
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      })
    );
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 84, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10 }));
  } else {
    throw new Error(`tfjs peer: no TF.js version of model '${model}' (small-cnn, lenet5)`);
  }
  return m;
}

function batchTensors(batch: number, data: Batch[]): { x: TF.Tensor4D; y: TF.Tensor }[] {
  const tf = tfjs();
  return data.map((b) => ({
    // MNIST has one channel, so NCHW and NHWC are the same bytes.
    x: tf.tensor4d(b.x.subarray(0, batch * 784), [batch, 28, 28, 1]),
    y: tf.tidy(() => tf.oneHot(tf.tensor1d(b.y.subarray(0, batch), 'int32'), 10).toFloat()),
  }));
}

/** A model, its Adam(lr 1e-3) and the fixed batches (first `batch` images each); step() is one
 * optimizer.minimize with the loss read back (dataSync). */
export function tfTrainer(model: string, batch: number, data: Batch[]): Stepper {
  const tf = tfjs();
  const net = tfModel(model);
  const opt = tf.train.adam(1e-3);
  const vars = net.trainableWeights.map((w) => w.read() as TF.Variable);
  const tensors = batchTensors(batch, data);
  let i = 0;
  const step = (): void => {
    const b = tensors[i++ % tensors.length];
    tf.tidy(() => {
      const loss = opt.minimize(
        () =>
          tf.losses.softmaxCrossEntropy(
            b.y,
            net.apply(b.x, { training: true }) as TF.Tensor
          ) as TF.Scalar,
        true,
        vars
      );
      loss!.dataSync();
    });
  };
  const dispose = (): void => {
    tensors.forEach((t) => {
      t.x.dispose();
      t.y.dispose();
    });
    opt.dispose();
    net.dispose();
  };
  return { step, params: net.countParams(), dispose };
}

/** The model in inference mode: step() is predict on one batch with the logits read back. */
export function tfInference(model: string, batch: number, data: Batch[]): Stepper {
  const tf = tfjs();
  const net = tfModel(model);
  const tensors = batchTensors(batch, data);
  let i = 0;
  const step = (): void => {
    const b = tensors[i++ % tensors.length];
    tf.tidy(() => {
      (net.predict(b.x) as TF.Tensor).dataSync();
    });
  };
  const dispose = (): void => {
    tensors.forEach((t) => {
      t.x.dispose();
      t.y.dispose();
    });
    net.dispose();
  };
  return { step, params: net.countParams(), dispose };
}

/** Wraps a tfjs-wasm step to record, per call, its time and the part spent in the filled
 * Conv2DBackpropFilter (bench/peers/tfjs-fill.ts). */
export function withFillStats(s: Stepper): Stepper & {
  /** Over the last n calls: median ms in the filled kernel, its GFLOP/s, and the median step
   * time with that kernel's time taken out. */
  stats(n: number): { filledMs: number; filledGflops?: number; medianExclFilledMs: number };
} {
  const totals: number[] = [];
  const inFilled: number[] = [];
  const flops: number[] = [];
  const step = async (): Promise<void> => {
    const k0 = filled.ms;
    const f0 = filled.flops;
    const t0 = performance.now();
    await s.step();
    totals.push(performance.now() - t0);
    inFilled.push(filled.ms - k0);
    flops.push(filled.flops - f0);
  };
  const med = (v: number[]): number => summarize(v).medianMs;
  const stats = (
    n: number
  ): { filledMs: number; filledGflops?: number; medianExclFilledMs: number } => {
    const k = inFilled.slice(-n);
    const fl = flops.slice(-n).reduce((a, b) => a + b, 0);
    const ms = k.reduce((a, b) => a + b, 0);
    return {
      filledMs: med(k),
      filledGflops: ms > 0 ? fl / (ms * 1e6) : undefined,
      medianExclFilledMs: med(totals.slice(-n).map((v, j) => v - k[j])),
    };
  };
  return { step, params: s.params, dispose: s.dispose, stats };
}
