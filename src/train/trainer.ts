// Trainer: epochs of minibatch steps with a progress line (samples/s, loss, ETA), test loss and
// metrics per epoch, seeded everything, a JSON log of the run and optional per-epoch checkpoints.
// Any model, any loss, class labels or float targets, on one thread or data-parallel workers.
// Each step runs in a tidy scope, so the same buffers are recycled step after step. Loads in a
// page too: checkpoints (Node files) are imported only when a checkpoint path is given.
// Tests: test/train/, test/parallel/.

import { noGrad } from '../autograd/tape.js';
import { DataLoader, datasetArrays, type LoaderDataset, type Targets } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/index.js';
import { DataParallel, type CreatePool } from '../parallel/data-parallel.js';
import type { ReplicaOptions } from '../parallel/pool.js';
import { stepSeed } from '../parallel/shared.js';
import { lrAt, type Schedule } from '../optim/schedule.js';
import { clipGradNorm } from '../optim/index.js';
import { randomAffine, type AffineAugmentOptions } from '../data/augment.js';
import { transformBatch, type Transform } from '../data/transforms.js';
import { availableThreads, sharedMemoryProblem } from '../runtime/features.js';
import { nodeOnly } from '../runtime/platform.js';
import { Generator, withGenerator } from '../tensor/random.js';
import { tensor, tidy } from '../tensor/tensor.js';
import {
  batchTarget,
  computeLoss,
  computeMetrics,
  resolveLoss,
  resolveMetrics,
} from './objective.js';
import type { CheckpointRun, EpochRecord, EpochSums } from './types.js';
import type { LossFunction, MetricFunction } from './metrics.js';

export type { EpochRecord, LossFunction, MetricFunction, ReplicaOptions };

export type Out = { write(s: string): unknown; isTTY?: boolean };

export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer;
  /** An ImageDataset, a `data.tensorDataset(x, y, ...)` or anything of that form: inputs with
   * class labels (Int32Array) or float targets (Float32Array). */
  train: LoaderDataset;
  test?: LoaderDataset;
  epochs: number;
  batchSize: number;
  seed?: number;
  /**
   * The loss of a batch: `(output, target) => Tensor`, a scalar, the mean over the batch. The
   * target is the batch's class labels as an Int32Array [batch] for a labelled data set, and a
   * Tensor [batch, ...targetShape] for float targets. Default: F.crossEntropy for class labels;
   * float targets need one. On workers, an `F` loss needs nothing more; any other needs
   * `replica.loss`.
   */
  loss?: LossFunction;
  /**
   * Metrics, each `(output, target) => number` summed over a batch (e.g. correct predictions);
   * records report the sum over the epoch divided by the sample count. Default:
   * `{ accuracy: metrics.accuracy }` for class labels, none for float targets. On workers, a
   * metric that is not a library one needs `replica.metrics`.
   */
  metrics?: Record<string, MetricFunction>;
  /** Learning-rate schedule, applied before every step (default: the optimizer's lr, constant). */
  schedule?: Schedule;
  /** Random affine augmentation of training batches (seeded per step, before sharding); images
   * [C, H, W] only. */
  augment?: AffineAugmentOptions;
  /**
   * Transforms of each training image (`data.transforms`: RandomResizedCrop, RandomHorizontalFlip,
   * Normalize...), applied to every batch on this thread before sharding, seeded per step; the
   * model sees `transform.outputShape(train.sampleShape)`. The test set is not transformed: load
   * it at that shape (e.g. with Resize, CenterCrop and Normalize at load).
   */
  transform?: Transform;
  /** Clip the global gradient norm to this before each optimizer step. */
  clipGradNorm?: number;
  /** Label smoothing of the cross-entropy loss (single-thread steps and workers alike). */
  labelSmoothing?: number;
  /** Where progress goes (a TTY gets a live line, anything else plain lines). */
  out?: Out;
  /** Called after every epoch (logging). */
  onEpoch?: (rec: EpochRecord, trainer: Trainer) => void | Promise<void>;
  /** Called after every step (live plots; a page can await a frame here to repaint). */
  onStep?: (rec: StepRecord, trainer: Trainer) => void | Promise<void>;
  /**
   * Worker threads sharing each minibatch (data parallel). Default: the machine's available
   * parallelism. Each worker builds its own replica of the model: from its spec when it is built
   * from library layers (an nn.Sequential of them, a zoo model), else from `replica.model`.
   * Where memory cannot be shared with workers (a page that is not cross-origin isolated),
   * training runs on one thread and says so on `out`.
   */
  workers?: number;
  /**
   * Where workers import what they cannot receive (functions and classes do not cross threads),
   * each as `{ module: URL, export: name }`, the way piscina names a worker by `filename`:
   * `model` — a custom Module class (with `args`) or factory; `loss` — a loss that is not an `F`
   * function; `metrics` — an object holding the custom metrics. fit() fails at once, naming
   * the option, when workers need one that is missing.
   *
   * @example
   * // net.ts: export class Net extends nn.Module { ... }  — train.ts:
   * import { Net } from './net.js';
   * new Trainer({ model: new Net(), ..., workers: 2,
   *   replica: { model: { module: new URL('./net.js', import.meta.url), export: 'Net' } } });
   */
  replica?: ReplicaOptions;
  /** Makes the worker pool (default: piscina in Node, module Web Workers in a page). */
  createPool?: CreatePool;
  /** Written atomically after every epoch and on stop(); fit() resumes from it if it exists
   * and resume is set. */
  checkpoint?: string;
  resume?: boolean;
}

export interface StepRecord {
  /** 0-based epoch and step within it; steps is the number of steps in an epoch. */
  epoch: number;
  step: number;
  steps: number;
  /** Mean loss of this step's batch, of size `size`, and each metric's sum over it. */
  loss: number;
  metrics: Record<string, number>;
  /** metrics.accuracy (correct predictions) when accuracy is reported; else null. */
  correct: number | null;
  size: number;
  /** Samples trained on so far in this epoch and the rate since the epoch began. */
  seen: number;
  imagesPerSecond: number;
  lr: number;
}

/** A batch's mean loss and metric sums. */
export interface StepResult {
  loss: number;
  metrics: Record<string, number>;
  /** metrics.accuracy when reported; else null. */
  correct: number | null;
}

/** Mean loss, metrics (sum / n) and accuracy (when reported; else null) over a data set. */
export interface EvalResult {
  loss: number;
  accuracy: number | null;
  metrics: Record<string, number>;
}

export interface EvaluateOptions {
  /** As TrainerOptions.loss (default cross-entropy for class labels). */
  loss?: LossFunction;
  /** As TrainerOptions.metrics (default accuracy for class labels). */
  metrics?: Record<string, MetricFunction>;
}

function isLabels(d: LoaderDataset): boolean {
  return datasetArrays(d).y instanceof Int32Array;
}

function evalResult(lossSum: number, sums: Record<string, number>, n: number): EvalResult {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) metrics[k] = v / n;
  return { loss: lossSum / n, accuracy: metrics.accuracy ?? null, metrics };
}

function addInto(sums: Record<string, number>, m: Record<string, number>): void {
  for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v;
}

/**
 * Mean loss and metrics of model on a data set, in eval mode, without recording a graph.
 * Defaults: cross-entropy and accuracy for class labels; float targets need `opts.loss`.
 */
export function evaluate(
  model: Module,
  data: LoaderDataset,
  batchSize = 500,
  opts: EvaluateOptions = {}
): EvalResult {
  if (data.n === 0) throw new RangeError('evaluate: the data set is empty (0 samples)');
  const labels = isLabels(data);
  const loss = resolveLoss(opts.loss, labels, 0, 'evaluate');
  const metrics = resolveMetrics(opts.metrics, labels, 'evaluate');
  const wasTraining = model.training;
  model.eval();
  const loader = new DataLoader(data, { batchSize, shuffle: false });
  const sums: Record<string, number> = {};
  let lossSum = 0;
  try {
    noGrad(() => {
      for (const batch of loader.epoch(0)) {
        tidy(() => {
          const x = tensor(batch.x, batch.shape);
          const target = batchTarget(batch.y, batch.size, loader.targetShape);
          const out = model.forward(x);
          lossSum += computeLoss(loss, out, target, 'evaluate').item() * batch.size;
          addInto(sums, computeMetrics(metrics, out, target, 'evaluate'));
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return evalResult(lossSum, sums, data.n);
}

/** evaluate() with every batch shared by the data-parallel workers. */
export async function evaluateParallel(
  dp: DataParallel,
  data: LoaderDataset,
  batchSize: number
): Promise<EvalResult> {
  if (data.n === 0) throw new RangeError('evaluate: the data set is empty (0 samples)');
  const loader = new DataLoader(data, { batchSize, shuffle: false });
  const sums: Record<string, number> = {};
  let lossSum = 0;
  for (const batch of loader.epoch(0)) {
    const r = await dp.evaluate(batch.x, batch.y, batch.size);
    lossSum += r.loss * batch.size;
    addInto(sums, r.metrics);
  }
  return evalResult(lossSum, sums, data.n);
}

/** ' acc 98.20%' for accuracy, ' name 0.1234' for any other metric. */
function fmtMetrics(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) =>
      k === 'accuracy'
        ? ` acc ${(100 * v).toFixed(2)}%`
        : ` ${k} ${Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4)}`
    )
    .join('');
}

let lastYield = 0;

/** Steps on this thread never wait on anything, so without this a Ctrl-C (or a page's input)
 * would wait for the end of the epoch: let the event loop run every 20 ms or so. */
async function letEventsIn(): Promise<void> {
  const now = performance.now();
  if (now - lastYield < 20) return;
  lastYield = now;
  await new Promise<void>((r) =>
    typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)
  );
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

export class Trainer {
  readonly opts: TrainerOptions;
  readonly history: EpochRecord[] = [];
  /** Epochs already done (a resumed run starts after them). */
  startEpoch = 0;
  /** Steps already done in startEpoch (a run stopped mid-epoch resumes after them). */
  startStep = 0;
  /** Running sums of the steps before startStep, so a resumed epoch's record covers them all. */
  private startSums: EpochSums | undefined;
  /** True once fit() returned because stop() was called. */
  stopped = false;
  private stopRequested = false;
  private readonly labels: boolean;
  private readonly targetShape: number[];
  /** Shape of one sample as the model gets it (after opts.transform). */
  private readonly sampleShape: number[];
  private readonly loss: LossFunction;
  private readonly metrics: [string, MetricFunction][];

  constructor(opts: TrainerOptions) {
    if (!Number.isInteger(opts.epochs) || opts.epochs < 1)
      throw new RangeError(`Trainer: epochs must be a positive integer, got ${opts.epochs}`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
      throw new RangeError(`Trainer: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (opts.train.n === 0) throw new RangeError('Trainer: the training set is empty (0 samples)');
    if (opts.test && opts.test.n === 0)
      throw new RangeError('Trainer: the test set is empty (0 samples)');
    if (opts.clipGradNorm !== undefined && !(opts.clipGradNorm > 0)) {
      throw new RangeError(
        `Trainer: clipGradNorm must be > 0 (leave it out for no clipping), got ${opts.clipGradNorm}`
      );
    }
    const { y, targetShape } = datasetArrays(opts.train);
    this.labels = y instanceof Int32Array;
    this.targetShape = targetShape;
    if (opts.test && isLabels(opts.test) !== this.labels) {
      throw new TypeError(
        'Trainer: train and test must both have class labels (Int32Array) or ' +
          'both float targets (Float32Array)'
      );
    }
    if (opts.augment && opts.train.sampleShape.length !== 3) {
      throw new RangeError(
        `Trainer: augment needs images [C, H, W]; samples are ` +
          `[${opts.train.sampleShape.join(', ')}]`
      );
    }
    this.sampleShape = opts.transform
      ? opts.transform.outputShape(opts.train.sampleShape)
      : [...opts.train.sampleShape];
    if (opts.transform && opts.test && opts.test.sampleShape.join() !== this.sampleShape.join()) {
      throw new RangeError(
        `Trainer: test samples are [${opts.test.sampleShape.join(', ')}] but ` +
          `the transform makes training samples [${this.sampleShape.join(', ')}]; load the test set ` +
          'at that size (e.g. Resize, CenterCrop and Normalize at load)'
      );
    }
    this.loss = resolveLoss(opts.loss, this.labels, opts.labelSmoothing, 'Trainer');
    this.metrics = resolveMetrics(opts.metrics, this.labels, 'Trainer');
    this.opts = opts;
  }

  /** Asks fit() to finish the current step, save the checkpoint and return. */
  stop(): void {
    this.stopRequested = true;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Where progress goes: opts.out, else stderr in Node, else the console. */
  get out(): Out {
    if (this.opts.out) return this.opts.out;
    const proc = (globalThis as { process?: { stderr?: Out } }).process;
    return proc?.stderr ?? { write: (s: string) => console.log(s.trimEnd()) };
  }

  /** What progress counts: images for image samples [C, H, W], else samples. */
  private get unit(): string {
    return this.sampleShape.length === 3 ? 'img' : 'samples';
  }

  /** Worker threads fit() will use: opts.workers, else the machine's available parallelism. */
  get workers(): number {
    return this.opts.workers ?? availableThreads();
  }

  /**
   * One optimizer step on a batch in this thread; returns the mean loss and the metric sums.
   * y: class labels [size] or float targets [size, ...targetShape]. seed, when given: random ops
   * draw from a generator seeded with it (as each data-parallel shard does), else from the
   * current one.
   */
  step(x: Float32Array, y: Targets, size: number, where: string, seed?: number): StepResult {
    if (seed === undefined) return this.stepOnce(x, y, size, where);
    return withGenerator(new Generator(seed), () => this.stepOnce(x, y, size, where));
  }

  private stepOnce(x: Float32Array, y: Targets, size: number, where: string): StepResult {
    const { model, optimizer } = this.opts;
    const sample = this.sampleShape.reduce((a, b) => a * b, 1);
    return tidy(() => {
      optimizer.zeroGrad();
      const input = tensor(x.subarray(0, size * sample), [size, ...this.sampleShape]);
      const target = batchTarget(y, size, this.targetShape);
      const output = model.forward(input);
      const loss = computeLoss(this.loss, output, target, 'Trainer');
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Error(
          `Trainer: loss is ${value} at ${where} (lr ${optimizer.lr}); training diverged, ` +
            'try a smaller --lr'
        );
      }
      // read before backward, which may free the graph's tensors (output included)
      const metrics = computeMetrics(this.metrics, output, target, 'Trainer');
      loss.backward();
      if (this.opts.clipGradNorm) clipGradNorm(optimizer.params, this.opts.clipGradNorm);
      optimizer.step();
      return { loss: value, metrics, correct: metrics.accuracy ?? null };
    });
  }

  private async parallelStep(
    dp: DataParallel,
    x: Float32Array,
    y: Targets,
    size: number,
    where: string,
    seed: number
  ): Promise<StepResult> {
    // without clipping, the workers make the optimizer's step too, each on its slice
    const plan = this.opts.clipGradNorm ? null : this.opts.optimizer.planStep();
    const r = await dp.step(x, y, size, seed, where, plan ?? undefined);
    if (!Number.isFinite(r.loss)) {
      throw new Error(
        `Trainer: loss is ${r.loss} at ${where} (lr ${this.opts.optimizer.lr}); training ` +
          'diverged, try a smaller --lr'
      );
    }
    if (plan) return r;
    if (this.opts.clipGradNorm) clipGradNorm(this.opts.optimizer.params, this.opts.clipGradNorm);
    this.opts.optimizer.step();
    return r;
  }

  private get run(): CheckpointRun {
    return {
      batchSize: this.opts.batchSize,
      seed: this.opts.seed ?? 0,
      trainSize: this.opts.train.n,
    };
  }

  private async save(epoch: number, step: number, partial?: EpochSums): Promise<void> {
    const o = this.opts;
    if (!o.checkpoint) return;
    const { saveCheckpoint } = await nodeOnly(
      import('#node/train/checkpoint'),
      'checkpoint',
      'in a page, keep serializeSafetensors(model.stateDict()) instead'
    );
    await saveCheckpoint(o.checkpoint, {
      model: o.model,
      optimizer: o.optimizer,
      epoch,
      step,
      history: this.history,
      run: this.run,
      partial,
    });
  }

  /** Runs the remaining epochs; returns the history. */
  async fit(): Promise<EpochRecord[]> {
    const o = this.opts;
    if (o.resume && o.checkpoint) {
      const { loadCheckpoint } = await nodeOnly(
        import('#node/train/checkpoint'),
        'checkpoint',
        'in a page, keep serializeSafetensors(model.stateDict()) instead'
      );
      const c = await loadCheckpoint(o.checkpoint, o.model, o.optimizer, this.run);
      if (c) {
        this.startEpoch = c.epoch;
        this.startStep = c.step;
        this.startSums = c.step > 0 ? c.partial : undefined;
        this.history.splice(0, this.history.length, ...c.history);
        this.out.write(
          `resuming from ${o.checkpoint}: ${c.epoch} of ${o.epochs} epochs done` +
            (c.step > 0 ? `, ${c.step} steps into epoch ${c.epoch + 1}` : '') +
            '\n'
        );
      } else {
        this.out.write(`no checkpoint at ${o.checkpoint} to resume from; starting from scratch\n`);
      }
    }
    let workers = this.workers;
    const problem = workers > 1 ? sharedMemoryProblem() : null;
    if (problem) {
      this.out.write(
        `simdgrad: ${problem}; training on one thread instead of ${workers} ` + 'workers\n'
      );
      workers = 1;
    }
    const dp =
      workers > 1
        ? new DataParallel({
            model: o.model,
            replica: o.replica,
            loss: o.loss,
            metrics: o.metrics,
            workers,
            labelSmoothing: o.labelSmoothing,
            maxBatch: o.batchSize,
            sampleShape: [...this.sampleShape],
            targetShape: this.labels ? null : this.targetShape,
            createPool: o.createPool,
          })
        : null;
    try {
      await dp?.start();
      return await this.epochs(dp);
    } finally {
      await dp?.close();
    }
  }

  private async epochs(dp: DataParallel | null): Promise<EpochRecord[]> {
    const o = this.opts;
    const out = this.out;
    const seed = o.seed ?? 0;
    const loader = new DataLoader(o.train, { batchSize: o.batchSize, shuffle: true, seed });
    const outSize = this.sampleShape.reduce((a, b) => a * b, 1);
    const transformed = o.transform
      ? new Float32Array(Math.min(o.batchSize, o.train.n) * outSize)
      : null;
    for (let epoch = this.startEpoch; epoch < o.epochs; epoch++) {
      o.model.train();
      const skip = epoch === this.startEpoch ? this.startStep : 0;
      const resumed = skip > 0 ? this.startSums : undefined;
      const t0 = performance.now() - 1000 * (resumed?.seconds ?? 0);
      let seen = resumed?.seen ?? 0;
      let lossSum = resumed?.lossSum ?? 0;
      const sums: Record<string, number> = {
        ...(resumed?.metrics ??
          (resumed?.correct !== undefined ? { accuracy: resumed.correct } : {})),
      };
      let lastPrint = 0;
      let step = 0;
      for (const batch of loader.epoch(epoch)) {
        if (step < skip) {
          step++;
          continue;
        }
        const where = `epoch ${epoch + 1} step ${step + 1}`;
        if (o.schedule)
          o.optimizer.lr = lrAt(
            o.schedule,
            epoch * loader.length + step,
            o.epochs * loader.length,
            loader.length
          );
        const sd = stepSeed(seed, epoch, step);
        if (o.augment) randomAffine(batch.x, batch.size, o.train.sampleShape, o.augment, sd);
        // its own stream, so its draws are not those of randomAffine's
        const x = o.transform
          ? transformBatch(
              o.transform,
              batch.x,
              batch.size,
              o.train.sampleShape,
              Math.imul(sd ^ 0x9e3779b9, 0x85ebca6b) >>> 0,
              transformed!
            ).x
          : batch.x;
        const r = dp
          ? await this.parallelStep(dp, x, batch.y, batch.size, where, sd)
          : this.step(x, batch.y, batch.size, where, sd);
        step++;
        if (!dp) await letEventsIn();
        seen += batch.size;
        lossSum += r.loss * batch.size;
        addInto(sums, r.metrics);
        if (this.stopRequested) {
          const partial = {
            seen,
            lossSum,
            metrics: { ...sums },
            seconds: (performance.now() - t0) / 1000,
          };
          this.startSums = partial;
          await this.save(epoch, step, partial);
          this.startEpoch = epoch;
          this.startStep = step;
          this.stopped = true;
          out.write(
            `${out.isTTY ? '\r\x1b[K' : ''}stopped at epoch ${epoch + 1} step ${step}` +
              (o.checkpoint ? `; checkpoint ${o.checkpoint} (resume with --resume)` : '') +
              '\n'
          );
          return this.history;
        }
        const now = performance.now();
        await o.onStep?.(
          {
            epoch,
            step: step - 1,
            steps: loader.length,
            loss: r.loss,
            metrics: r.metrics,
            correct: r.correct,
            size: batch.size,
            seen,
            imagesPerSecond: seen / ((now - t0) / 1000),
            lr: o.optimizer.lr,
          },
          this
        );
        if (now - lastPrint > (out.isTTY ? 250 : 10000) || seen === o.train.n) {
          lastPrint = now;
          const secs = (now - t0) / 1000;
          const ips = seen / secs;
          const line =
            `epoch ${epoch + 1}/${o.epochs} ${String(seen).padStart(6)}/${o.train.n} ` +
            `loss ${(lossSum / seen).toFixed(4)} ${ips.toFixed(0)} ${this.unit}/s ETA ${fmtTime((o.train.n - seen) / ips)}`;
          out.write(out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
        }
      }
      if (seen === 0) seen = 1;
      const seconds = (performance.now() - t0) / 1000;
      const te = performance.now();
      const test = !o.test
        ? null
        : dp
          ? await evaluateParallel(dp, o.test, o.batchSize)
          : evaluate(o.model, o.test, 500, { loss: o.loss, metrics: o.metrics });
      const evalSeconds = (performance.now() - te) / 1000;
      const train = evalResult(lossSum, sums, seen);
      const rec: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: train.loss,
        trainAccuracy: train.accuracy,
        trainMetrics: train.metrics,
        testLoss: test?.loss ?? null,
        testAccuracy: test?.accuracy ?? null,
        testMetrics: test?.metrics ?? null,
        lr: o.optimizer.lr,
        seconds,
        evalSeconds,
        imagesPerSecond: seen / seconds,
      };
      this.history.push(rec);
      out.write(
        `${out.isTTY ? '\r\x1b[K' : ''}epoch ${epoch + 1}/${o.epochs} train loss ${rec.trainLoss.toFixed(4)}` +
          fmtMetrics(train.metrics) +
          (test ? ` | test loss ${test.loss.toFixed(4)}${fmtMetrics(test.metrics)}` : '') +
          ` | ${seconds.toFixed(1)}s, ${rec.imagesPerSecond.toFixed(0)} ${this.unit}/s\n`
      );
      this.startEpoch = epoch + 1;
      this.startStep = 0;
      await this.save(epoch + 1, 0);
      await o.onEpoch?.(rec, this);
    }
    return this.history;
  }
}
