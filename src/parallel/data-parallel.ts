// Data-parallel gradients: a minibatch is cut into one shard per worker; each worker's replica
// computes its shard's gradient into a shared slot, and the main thread sums the slots in shard
// order, weighted by shard size, into the model's .grad. The order is fixed, so a given worker
// count gives the same result every run, equal to one thread's up to float rounding.

import type { Module } from '../nn/module.js';
import { axpy, scale } from '../runtime/kernels/elementwise.js';
import { isNode, sharedMemoryProblem } from '../runtime/features.js';
import type { Runtime } from '../runtime/load.js';
import { Tensor, getRuntime } from '../tensor/tensor.js';
import { modelSpec } from '../models/spec.js';
import type { LossFunction, MetricFunction } from '../train/metrics.js';
import { resolveLoss, resolveMetrics } from '../train/objective.js';
import type { ReplicaOptions, ShardResult, ShardTask, WorkerInit, WorkerPool } from './pool.js';
import { paramLayout } from './shared.js';
import { lossSource, metricSources, modelSource } from './sources.js';

export type CreatePool = (size: number, init: WorkerInit) => WorkerPool | Promise<WorkerPool>;

/** piscina where this is Node, module Web Workers elsewhere; loaded on first use, so a page never
 * fetches piscina and Node never fetches the Web Worker code. */
export const defaultPool: CreatePool = async (size, init) => {
  if (isNode) {
    const { PiscinaPool } = await import('./piscina-pool.js');
    return new PiscinaPool(size, init);
  }
  const { WebWorkerPool } = await import('./web-pool.js');
  return new WebWorkerPool(size, init);
};

export interface DataParallelOptions {
  model: Module;
  /** Where workers import what they cannot rebuild: the model when it is not built from library
   * layers alone, a loss that is not an `F` function, custom metrics. */
  replica?: ReplicaOptions;
  /** The zoo name of the model (older form; any model with a spec needs none). */
  modelName?: string;
  /** The loss, the mean over the batch (default F.crossEntropy; float targets need one). */
  loss?: LossFunction;
  /** Metrics summed over each shard (default: accuracy for class labels, none otherwise). */
  metrics?: Record<string, MetricFunction>;
  /** Label smoothing of the workers' cross-entropy. */
  labelSmoothing?: number;
  workers: number;
  maxBatch: number;
  sampleShape: number[];
  /** Shape of one float target; absent or null: class labels (Int32Array y). */
  targetShape?: number[] | null;
  /** Makes the pool (default: piscina in Node, module Web Workers in a page); tests pass theirs. */
  createPool?: CreatePool;
  /** A step that takes longer fails instead of hanging (default 10 minutes). */
  stepTimeoutMs?: number;
}

/** A step's or an evaluation's mean loss and metric sums over the batch. */
export interface ParallelResult {
  loss: number;
  metrics: Record<string, number>;
  /** metrics.accuracy, the correct predictions, when that metric is reported; else null. */
  correct: number | null;
}

/**
 * Data-parallel gradients of a model over worker threads. Workers rebuild the model (from its
 * spec, or from replica.model), the loss and the metrics at start, check their parameter names
 * and shapes against the model's, and fail naming the first difference.
 *
 * @example
 * const dp = new DataParallel({ model, workers: 2, maxBatch: 64, sampleShape: [1, 28, 28] });
 * const { loss } = await dp.step(x, labels, 64, seed, 'step 1'); // model's .grad now set
 * optimizer.step();
 * await dp.close();
 */
export class DataParallel {
  readonly workers: number;
  private pool: WorkerPool | null = null;
  private starting: Promise<WorkerPool> | null = null;
  private readonly init: WorkerInit;
  private readonly params: Tensor[];
  /** Batch-norm running statistics and other buffers: sent with the parameters, and each
   * worker's updated values come back in its slot and are averaged by shard size. */
  private readonly buffers: Tensor[];
  private readonly layout: { offsets: number[]; total: number };
  private readonly paramView: Float32Array;
  private readonly gradView: Float32Array;
  private readonly trainable: Uint8Array;
  private readonly xView: Float32Array;
  private readonly yView: Int32Array | Float32Array;
  private readonly sample: number;
  private readonly targetSize: number;
  private readonly rt: Runtime;
  private readonly staging: { ptr: number; length: number };

  constructor(private readonly opts: DataParallelOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`DataParallel: workers must be a positive integer, got ${opts.workers}`);
    }
    const problem = sharedMemoryProblem();
    if (problem) throw new Error(`DataParallel: ${problem}; train with workers: 1`);
    const who = 'DataParallel';
    const labels = opts.targetShape === undefined || opts.targetShape === null;
    const model = opts.modelName && !modelSpec(opts.model)
      ? { kind: 'spec' as const, spec: { zoo: opts.modelName } }
      : modelSource(opts.model, opts.replica, who);
    resolveLoss(opts.loss, labels, opts.labelSmoothing, who);
    const loss = lossSource(opts.loss, opts.replica, opts.labelSmoothing, who);
    const metrics = metricSources(resolveMetrics(opts.metrics, labels, who), opts.replica, who);
    this.workers = opts.workers;
    this.rt = getRuntime();
    this.params = opts.model.parameters();
    this.buffers = opts.model.namedBuffers().map(([, t]) => t);
    this.layout = paramLayout([...this.params, ...this.buffers].map((p) => p.size));
    this.sample = opts.sampleShape.reduce((a, b) => a * b, 1);
    const targetShape = labels ? null : [...opts.targetShape!];
    this.targetSize = (targetShape ?? []).reduce((a, b) => a * b, 1);
    const params = new SharedArrayBuffer(this.layout.total * 4);
    const grads = new SharedArrayBuffer(this.layout.total * 4 * opts.workers);
    const x = new SharedArrayBuffer(opts.maxBatch * this.sample * 4);
    const y = new SharedArrayBuffer(opts.maxBatch * this.targetSize * 4);
    this.paramView = new Float32Array(params);
    this.gradView = new Float32Array(grads);
    const trainable = new SharedArrayBuffer(Math.max(this.params.length, 1));
    this.trainable = new Uint8Array(trainable);
    this.xView = new Float32Array(x);
    this.yView = labels ? new Int32Array(y) : new Float32Array(y);
    this.staging = this.rt.heap.allocF32(this.layout.total);
    const state: [string, number[]][] = [
      ...opts.model.namedParameters().map(([n, t]) => [n, [...t.shape]] as [string, number[]]),
      ...opts.model.namedBuffers().map(([n, t]) => [n, [...t.shape]] as [string, number[]]),
    ];
    this.init = {
      module: this.rt.module, build: this.rt.build, model, state, loss, metrics, params, grads,
      trainable, x, y, sampleShape: [...opts.sampleShape], targetShape,
    };
  }

  /**
   * Starts the workers (once) and waits until each has built its replica and checked it against
   * the model; rejects with the first worker's reason otherwise. step() and evaluate() call it.
   */
  async start(): Promise<void> {
    await this.ensurePool();
  }

  private ensurePool(): Promise<WorkerPool> {
    if (this.pool) return Promise.resolve(this.pool);
    this.starting ??= this.startPool().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startPool(): Promise<WorkerPool> {
    const pool = await (this.opts.createPool ?? defaultPool)(this.workers, this.init);
    const check: ShardTask = { shard: 0, start: 0, count: 0, stepSeed: 0, mode: 'check' };
    try {
      await this.withTimeout(Promise.all(Array.from({ length: this.workers },
        () => pool.run<ShardResult>(check))), 'to start');
    } catch (e) {
      await pool.destroy().catch(() => undefined);
      throw new Error(`DataParallel: the workers could not start: ${(e as Error).message}`);
    }
    this.pool = pool;
    return pool;
  }

  private async withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.opts.stepTimeoutMs ?? 600_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the workers within ${timeoutMs} ms ` +
        `${what}`)), timeoutMs);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Computes the gradient of the mean loss over x[0..size) into the model's .grad and returns
   * the mean loss and the metric sums. y: class labels [size] or float targets
   * [size, ...targetShape]. where names the step in errors.
   */
  async step(x: Float32Array, y: Int32Array | Float32Array, size: number, stepSeed: number,
    where: string, fault?: { shard: number; kind: 'throw' | 'exit' }): Promise<ParallelResult> {
    return this.run(x, y, size, stepSeed, where, 'train', fault);
  }

  /** Mean loss and metric sums of the model in eval mode on x[0..size) (no gradient). */
  async evaluate(x: Float32Array, y: Int32Array | Float32Array, size: number):
    Promise<ParallelResult> {
    return this.run(x, y, size, 0, 'evaluation', 'eval');
  }

  private async run(x: Float32Array, y: Int32Array | Float32Array, size: number, stepSeed: number,
    where: string, mode: 'train' | 'eval', fault?: { shard: number; kind: 'throw' | 'exit' }):
    Promise<ParallelResult> {
    if (size > this.opts.maxBatch) throw new RangeError(`DataParallel: batch ${size} > maxBatch ${this.opts.maxBatch}`);
    if ((y instanceof Int32Array) !== (this.yView instanceof Int32Array)) {
      const kind = this.yView instanceof Int32Array ? 'class labels' : 'float targets';
      throw new TypeError(`DataParallel: y is ${y.constructor.name}, expected ` +
        `${this.yView.constructor.name} (${kind})`);
    }
    const pool = await this.ensurePool();
    [...this.params, ...this.buffers].forEach((p, i) => this.paramView.set(p.rawData(), this.layout.offsets[i]));
    this.params.forEach((p, i) => (this.trainable[i] = p.requiresGrad ? 1 : 0));
    this.xView.set(x.subarray(0, size * this.sample));
    this.yView.set(y.subarray(0, size * this.targetSize));
    const shards = Math.min(this.workers, size);
    const tasks: ShardTask[] = [];
    let start = 0;
    for (let k = 0; k < shards; k++) {
      const count = Math.floor(size / shards) + (k < size % shards ? 1 : 0);
      tasks.push({ shard: k, start, count, stepSeed, mode, fault: fault?.shard === k ? fault.kind : undefined });
      start += count;
    }
    let results: ShardResult[];
    try {
      const all = Promise.all(tasks.map((t) => pool.run<ShardResult>(t).catch((e: Error) => {
        throw new Error(`worker for shard ${t.shard + 1}/${shards} (rows ${t.start}..` +
          `${t.start + t.count - 1}) failed at ${where}: ${e.message}`);
      })));
      results = await this.withTimeout(all, `at ${where}`);
    } catch (e) {
      // The pool may hold a dead or stuck worker: replace it, so training can go on (or resume).
      await this.restart();
      throw e;
    }
    if (mode === 'train') this.reduce(tasks, size);
    let loss = 0;
    const metrics: Record<string, number> = {};
    tasks.forEach((t, k) => {
      loss += (t.count / size) * results[k].loss;
      for (const [name, v] of Object.entries(results[k].metrics)) {
        metrics[name] = (metrics[name] ?? 0) + v;
      }
    });
    return { loss, metrics, correct: metrics.accuracy ?? null };
  }

  /** grad = sum over shards, in order, of (count / size) * shard gradient; frozen parameters
   * (requiresGrad false) get none, as backward gives them none on one thread. */
  private reduce(tasks: ShardTask[], size: number): void {
    const rt = this.rt;
    const total = this.layout.total;
    this.params.forEach((p) => {
      if (!p.grad && p.requiresGrad) p.grad = Tensor.empty(p.shape).keep();
    });
    tasks.forEach((t, k) => {
      rt.heap.view(this.staging).set(this.gradView.subarray(k * total, (k + 1) * total));
      const w = t.count / size;
      this.params.forEach((p, i) => {
        if (!p.requiresGrad) return;
        const src = { ptr: this.staging.ptr + this.layout.offsets[i] * 4, length: p.size };
        if (k === 0) scale(rt, src, w, p.grad!.buf, p.size);
        else axpy(rt, w, src, p.grad!.buf, p.size);
      });
      this.buffers.forEach((b, j) => {
        const src = { ptr: this.staging.ptr + this.layout.offsets[this.params.length + j] * 4, length: b.size };
        if (k === 0) scale(rt, src, w, b.buf, b.size);
        else axpy(rt, w, src, b.buf, b.size);
      });
    });
  }

  /** Replaces the pool with a fresh one (after a failure). */
  async restart(): Promise<void> {
    const old = this.pool;
    this.pool = null;
    await old?.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.restart();
    this.rt.heap.free(this.staging);
  }
}
