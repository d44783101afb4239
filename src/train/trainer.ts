// Trainer: epochs of minibatch steps with a progress line (images/s, loss, ETA), test accuracy
// per epoch, seeded everything, a JSON log of the run and optional per-epoch checkpoints.
// Each step runs in a tidy scope, so the same buffers are recycled step after step.

import { noGrad } from '../autograd/tape.js';
import type { ImageDataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import * as F from '../nn/functional.js';
import type { Optimizer } from '../optim/index.js';
import { manualSeed } from '../tensor/random.js';
import { Tensor, tensor, tidy } from '../tensor/tensor.js';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  lr: number;
  seconds: number;
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
  /** Multiplies the learning rate after every epoch (ExponentialLR); 1 keeps it. */
  lrDecay?: number;
  /** Where progress goes (a TTY gets a live line, anything else plain lines). */
  out?: { write(s: string): unknown; isTTY?: boolean };
  /** Called after every epoch (checkpointing, logging). */
  onEpoch?: (rec: EpochRecord, trainer: Trainer) => void | Promise<void>;
}

/** Accuracy and mean loss of model on a dataset, in eval mode, without recording a graph. */
export function evaluate(model: Module, data: ImageDataset, batchSize = 500): { loss: number; accuracy: number } {
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

function sampleSize(d: ImageDataset): number {
  return d.sampleShape[0] * d.sampleShape[1] * d.sampleShape[2];
}

function countCorrect(logits: Tensor, labels: Int32Array, n: number): number {
  const v = logits.data();
  const k = logits.shape[1];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j] > v[i * k + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct;
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

  constructor(opts: TrainerOptions) {
    if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`Trainer: epochs must be a positive integer, got ${opts.epochs}`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`Trainer: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.opts = opts;
  }

  /** One optimizer step on a batch; returns the loss and the number of correct predictions. */
  step(x: Float32Array, y: Int32Array, size: number, where: string): { loss: number; correct: number } {
    const { model, optimizer, train } = this.opts;
    return tidy(() => {
      optimizer.zeroGrad();
      const input = tensor(x.subarray(0, size * sampleSize(train)), [size, ...train.sampleShape]);
      const logits = model.forward(input);
      const loss = F.crossEntropy(logits, y.subarray(0, size));
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Error(`Trainer: loss is ${value} at ${where} (lr ${optimizer.lr}); training diverged, ` +
          'try a smaller --lr');
      }
      const correct = countCorrect(logits, y, size);
      loss.backward();
      optimizer.step();
      return { loss: value, correct };
    });
  }

  /** Runs the remaining epochs; returns the history. */
  async fit(): Promise<EpochRecord[]> {
    const o = this.opts;
    const out = o.out ?? process.stderr;
    const seed = o.seed ?? 0;
    const loader = new DataLoader(o.train, { batchSize: o.batchSize, shuffle: true, seed });
    for (let epoch = this.startEpoch; epoch < o.epochs; epoch++) {
      manualSeed(seed * 1000003 + epoch);
      o.model.train();
      const t0 = performance.now();
      let seen = 0;
      let lossSum = 0;
      let correct = 0;
      let lastPrint = 0;
      let step = 0;
      for (const batch of loader.epoch(epoch)) {
        const r = this.step(batch.x, batch.y, batch.size, `epoch ${epoch + 1} step ${step + 1}`);
        step++;
        seen += batch.size;
        lossSum += r.loss * batch.size;
        correct += r.correct;
        const now = performance.now();
        if (now - lastPrint > (out.isTTY ? 250 : 10000) || seen === o.train.n) {
          lastPrint = now;
          const secs = (now - t0) / 1000;
          const ips = seen / secs;
          const line = `epoch ${epoch + 1}/${o.epochs} ${String(seen).padStart(6)}/${o.train.n} ` +
            `loss ${(lossSum / seen).toFixed(4)} ${ips.toFixed(0)} img/s ETA ${fmtTime((o.train.n - seen) / ips)}`;
          out.write(out.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      const test = o.test ? evaluate(o.model, o.test) : null;
      const rec: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / seen, trainAccuracy: correct / seen,
        testLoss: test?.loss ?? null, testAccuracy: test?.accuracy ?? null, lr: o.optimizer.lr,
        seconds, imagesPerSecond: seen / seconds,
      };
      this.history.push(rec);
      out.write(`${out.isTTY ? '\r\x1b[K' : ''}epoch ${epoch + 1}/${o.epochs} train loss ${rec.trainLoss.toFixed(4)} ` +
        `acc ${(100 * rec.trainAccuracy).toFixed(2)}%` +
        (test ? ` | test loss ${test.loss.toFixed(4)} acc ${(100 * test.accuracy).toFixed(2)}%` : '') +
        ` | ${seconds.toFixed(1)}s, ${rec.imagesPerSecond.toFixed(0)} img/s\n`);
      if (o.lrDecay !== undefined && o.lrDecay !== 1) o.optimizer.lr *= o.lrDecay;
      this.startEpoch = epoch + 1;
      await o.onEpoch?.(rec, this);
    }
    return this.history;
  }
}
