// Trainer: epochs of minibatch steps with a progress line (images/s, loss, ETA), test accuracy
// per epoch, seeded everything, a JSON log of the run and optional per-epoch checkpoints.
// Each step runs in a tidy scope, so the same buffers are recycled step after step. Loads in a
// page too: checkpoints (Node files) are imported only when a checkpoint path is given.

import { noGrad } from '../autograd/tape.js';
import type { ImageDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import * as F from '../nn/functional.js';
import type { Optimizer } from '../optim/index.js';
import { setBatchRowOffset } from '../ops/elementwise.js';
import { DataParallel, type CreatePool } from '../parallel/data-parallel.js';
import { countCorrect, stepSeed } from '../parallel/shared.js';
import { lrAt, type Schedule } from '../optim/schedule.js';
import { clipGradNorm } from '../optim/index.js';
import { randomAffine, type AffineAugmentOptions } from '../data/augment.js';
import { availableThreads, sharedMemoryProblem } from '../runtime/features.js';
import { manualSeed } from '../tensor/random.js';
import { Tensor, tensor, tidy } from '../tensor/tensor.js';
import type { CheckpointRun, EpochSums } from './checkpoint.js';

type Out = { write(s: string): unknown; isTTY?: boolean };

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  lr: number;
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
  evalSeconds: number;
  imagesPerSecond: number;
}

export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer;
  train: ImageDataset;
  test?: ImageDataset;
  epochs: number;
  batchSize: number;
  seed?: number;
  /** Learning-rate schedule, applied before every step (default: the optimizer's lr, constant). */
  schedule?: Schedule;
  /** Random affine augmentation of training batches (seeded per step, before sharding). */
  augment?: AffineAugmentOptions;
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
   * parallelism when the model came from the zoo (workers rebuild it by name), else 1. Where
   * memory cannot be shared with workers (a page that is not cross-origin isolated), training
   * runs on one thread and says so on `out`.
   */
  workers?: number;
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
  /** Mean loss and correct predictions of this step's batch, of size `size`. */
  loss: number;
  correct: number;
  size: number;
  /** Images trained on so far in this epoch and the rate since the epoch began. */
  seen: number;
  imagesPerSecond: number;
  lr: number;
}

/** Accuracy and mean loss of model on a dataset, in eval mode, without recording a graph. */
export function evaluate(model: Module, data: ImageDataset, batchSize = 500): { loss: number; accuracy: number } {
  if (data.n === 0) throw new RangeError('evaluate: the data set is empty (0 images)');
  const wasTraining = model.training;
  model.eval();
  const loader = new DataLoader(data, { batchSize, shuffle: false });
  let correct = 0;
  let lossSum = 0;
  noGrad(() => {
    for (const batch of loader.epoch(0)) {
      tidy(() => {
        const x = tensor(batch.x.subarray(0, batch.size * sampleSize(data)), [batch.size, ...data.sampleShape]);
        const logits = model.forward(x);
        lossSum += F.crossEntropy(logits, batch.y.subarray(0, batch.size)).item() * batch.size;
        correct += countCorrect(logits, batch.y, batch.size);
      });
    }
  });
  model.train(wasTraining);
  return { loss: lossSum / data.n, accuracy: correct / data.n };
}

/** evaluate() with every batch shared by the data-parallel workers. */
export async function evaluateParallel(dp: DataParallel, data: ImageDataset, batchSize: number):
  Promise<{ loss: number; accuracy: number }> {
  if (data.n === 0) throw new RangeError('evaluate: the data set is empty (0 images)');
  const loader = new DataLoader(data, { batchSize, shuffle: false });
  let correct = 0;
  let lossSum = 0;
  for (const batch of loader.epoch(0)) {
    const r = await dp.evaluate(batch.x, batch.y, batch.size);
    lossSum += r.loss * batch.size;
    correct += r.correct;
  }
  return { loss: lossSum / data.n, accuracy: correct / data.n };
}

function sampleSize(d: ImageDataset): number {
  return d.sampleShape[0] * d.sampleShape[1] * d.sampleShape[2];
}

let lastYield = 0;

/** Steps on this thread never wait on anything, so without this a Ctrl-C (or a page's input)
 * would wait for the end of the epoch: let the event loop run every 20 ms or so. */
async function letEventsIn(): Promise<void> {
  const now = performance.now();
  if (now - lastYield < 20) return;
  lastYield = now;
  await new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));
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

  constructor(opts: TrainerOptions) {
    if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`Trainer: epochs must be a positive integer, got ${opts.epochs}`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`Trainer: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (opts.train.n === 0) throw new RangeError('Trainer: the training set is empty (0 images)');
    if (opts.test && opts.test.n === 0) throw new RangeError('Trainer: the test set is empty (0 images)');
    if (opts.clipGradNorm !== undefined && !(opts.clipGradNorm > 0)) {
      throw new RangeError(`Trainer: clipGradNorm must be > 0 (leave it out for no clipping), got ${opts.clipGradNorm}`);
    }
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

  /** Worker threads fit() will use. */
  get workers(): number {
    const w = this.opts.workers;
    if (w !== undefined) return w;
    return this.opts.model.zooName ? availableThreads() : 1;
  }

  /**
   * One optimizer step on a batch in this thread; returns the loss and the number of correct
   * predictions. seed, when given, seeds the generator first (what a data-parallel step does).
   */
  step(x: Float32Array, y: Int32Array, size: number, where: string, seed?: number): { loss: number; correct: number } {
    const { model, optimizer, train } = this.opts;
    if (seed !== undefined) {
      manualSeed(seed);
      setBatchRowOffset(0);
    }
    return tidy(() => {
      optimizer.zeroGrad();
      const input = tensor(x.subarray(0, size * sampleSize(train)), [size, ...train.sampleShape]);
      const logits = model.forward(input);
      const loss = F.crossEntropy(logits, y.subarray(0, size), { labelSmoothing: this.opts.labelSmoothing });
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Error(`Trainer: loss is ${value} at ${where} (lr ${optimizer.lr}); training diverged, ` +
          'try a smaller --lr');
      }
      const correct = countCorrect(logits, y, size);
      loss.backward();
      if (this.opts.clipGradNorm) clipGradNorm(optimizer.params, this.opts.clipGradNorm);
      optimizer.step();
      return { loss: value, correct };
    });
  }

  private async parallelStep(dp: DataParallel, x: Float32Array, y: Int32Array, size: number,
    where: string, seed: number): Promise<{ loss: number; correct: number }> {
    const r = await dp.step(x, y, size, seed, where);
    if (!Number.isFinite(r.loss)) {
      throw new Error(`Trainer: loss is ${r.loss} at ${where} (lr ${this.opts.optimizer.lr}); training ` +
        'diverged, try a smaller --lr');
    }
    if (this.opts.clipGradNorm) clipGradNorm(this.opts.optimizer.params, this.opts.clipGradNorm);
    this.opts.optimizer.step();
    return r;
  }

  private get run(): CheckpointRun {
    return { batchSize: this.opts.batchSize, seed: this.opts.seed ?? 0, trainSize: this.opts.train.n };
  }

  private async save(epoch: number, step: number, partial?: EpochSums): Promise<void> {
    const o = this.opts;
    if (!o.checkpoint) return;
    const { saveCheckpoint } = await import('./checkpoint.js');
    await saveCheckpoint(o.checkpoint, {
      model: o.model, optimizer: o.optimizer, epoch, step, history: this.history, run: this.run, partial,
    });
  }

  /** Runs the remaining epochs; returns the history. */
  async fit(): Promise<EpochRecord[]> {
    const o = this.opts;
    if (o.resume && o.checkpoint) {
      const { loadCheckpoint } = await import('./checkpoint.js');
      const c = await loadCheckpoint(o.checkpoint, o.model, o.optimizer, this.run);
      if (c) {
        this.startEpoch = c.epoch;
        this.startStep = c.step;
        this.startSums = c.step > 0 ? c.partial : undefined;
        this.history.splice(0, this.history.length, ...c.history);
        this.out.write(`resuming from ${o.checkpoint}: ${c.epoch} of ${o.epochs} epochs done` +
          (c.step > 0 ? `, ${c.step} steps into epoch ${c.epoch + 1}` : '') + '\n');
      } else {
        this.out.write(`no checkpoint at ${o.checkpoint} to resume from; starting from scratch\n`);
      }
    }
    let workers = this.workers;
    const modelName = o.model.zooName;
    const problem = workers > 1 ? sharedMemoryProblem() : null;
    if (problem) {
      this.out.write(`simdgrad: ${problem}; training on one thread instead of ${workers} ` +
        'workers\n');
      workers = 1;
    }
    if (workers > 1 && !modelName) {
      throw new Error(`Trainer: workers ${workers} needs a zoo model (workers rebuild it by name); ` +
        'use createModel(name) or workers: 1');
    }
    const dp = workers > 1 ? new DataParallel({
      model: o.model, modelName: modelName!, workers, labelSmoothing: o.labelSmoothing, maxBatch: o.batchSize, sampleShape: [...o.train.sampleShape],
      createPool: o.createPool,
    }) : null;
    try {
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
    for (let epoch = this.startEpoch; epoch < o.epochs; epoch++) {
      o.model.train();
      const skip = epoch === this.startEpoch ? this.startStep : 0;
      const sums = skip > 0 ? this.startSums : undefined;
      const t0 = performance.now() - 1000 * (sums?.seconds ?? 0);
      let seen = sums?.seen ?? 0;
      let lossSum = sums?.lossSum ?? 0;
      let correct = sums?.correct ?? 0;
      let lastPrint = 0;
      let step = 0;
      for (const batch of loader.epoch(epoch)) {
        if (step < skip) {
          step++;
          continue;
        }
        const where = `epoch ${epoch + 1} step ${step + 1}`;
        if (o.schedule) o.optimizer.lr = lrAt(o.schedule, epoch * loader.length + step, o.epochs * loader.length, loader.length);
        const sd = stepSeed(seed, epoch, step);
        if (o.augment) randomAffine(batch.x, batch.size, o.train.sampleShape, o.augment, sd);
        const r = dp ? await this.parallelStep(dp, batch.x, batch.y, batch.size, where, sd)
          : this.step(batch.x, batch.y, batch.size, where, sd);
        step++;
        if (!dp) await letEventsIn();
        seen += batch.size;
        lossSum += r.loss * batch.size;
        correct += r.correct;
        if (this.stopRequested) {
          const sums = { seen, lossSum, correct, seconds: (performance.now() - t0) / 1000 };
          this.startSums = sums;
          await this.save(epoch, step, sums);
          this.startEpoch = epoch;
          this.startStep = step;
          this.stopped = true;
          out.write(`${out.isTTY ? '\r\x1b[K' : ''}stopped at epoch ${epoch + 1} step ${step}` +
            (o.checkpoint ? `; checkpoint ${o.checkpoint} (resume with --resume)` : '') + '\n');
          return this.history;
        }
        const now = performance.now();
        await o.onStep?.({
          epoch, step: step - 1, steps: loader.length, loss: r.loss, correct: r.correct,
          size: batch.size, seen, imagesPerSecond: seen / ((now - t0) / 1000), lr: o.optimizer.lr,
        }, this);
        if (now - lastPrint > (out.isTTY ? 250 : 10000) || seen === o.train.n) {
          lastPrint = now;
          const secs = (now - t0) / 1000;
          const ips = seen / secs;
          const line = `epoch ${epoch + 1}/${o.epochs} ${String(seen).padStart(6)}/${o.train.n} ` +
            `loss ${(lossSum / seen).toFixed(4)} ${ips.toFixed(0)} img/s ETA ${fmtTime((o.train.n - seen) / ips)}`;
          out.write(out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
        }
      }
      if (seen === 0) seen = 1;
      const seconds = (performance.now() - t0) / 1000;
      const te = performance.now();
      const test = o.test ? (dp ? await evaluateParallel(dp, o.test, o.batchSize) : evaluate(o.model, o.test)) : null;
      const evalSeconds = (performance.now() - te) / 1000;
      const rec: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / seen, trainAccuracy: correct / seen,
        testLoss: test?.loss ?? null, testAccuracy: test?.accuracy ?? null, lr: o.optimizer.lr,
        seconds, evalSeconds, imagesPerSecond: seen / seconds,
      };
      this.history.push(rec);
      out.write(`${out.isTTY ? '\r\x1b[K' : ''}epoch ${epoch + 1}/${o.epochs} train loss ${rec.trainLoss.toFixed(4)} ` +
        `acc ${(100 * rec.trainAccuracy).toFixed(2)}%` +
        (test ? ` | test loss ${test.loss.toFixed(4)} acc ${(100 * test.accuracy).toFixed(2)}%` : '') +
        ` | ${seconds.toFixed(1)}s, ${rec.imagesPerSecond.toFixed(0)} img/s\n`);
      this.startEpoch = epoch + 1;
      this.startStep = 0;
      await this.save(epoch + 1, 0);
      await o.onEpoch?.(rec, this);
    }
    return this.history;
  }
}
