// Data-parallel gradients: a minibatch is cut into one shard per worker; each worker's replica
// computes its shard's gradient into a shared slot, and the main thread sums the slots in shard
// order, weighted by shard size, into the model's .grad. The order is fixed, so a given worker
// count gives the same result every run, equal to one thread's up to float rounding.

import type { Module } from '../nn/module.js';
import { axpy, scale } from '../runtime/kernels/elementwise.js';
import { isNode, sharedMemoryProblem } from '../runtime/features.js';
import type { Runtime } from '../runtime/load.js';
import { Tensor, getRuntime } from '../tensor/tensor.js';
import type { ShardResult, ShardTask, WorkerInit, WorkerPool } from './pool.js';
import { paramLayout } from './shared.js';

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
  /** The zoo name each worker builds its replica from. */
  modelName: string;
  /** Label smoothing of the workers' cross-entropy. */
  labelSmoothing?: number;
  workers: number;
  maxBatch: number;
  sampleShape: number[];
  /** Makes the pool (default: piscina in Node, module Web Workers in a page); tests pass theirs. */
  createPool?: CreatePool;
  /** A step that takes longer fails instead of hanging (default 10 minutes). */
  stepTimeoutMs?: number;
}

export class DataParallel {
  readonly workers: number;
  private pool: WorkerPool | null = null;
  private readonly init: WorkerInit;
  private readonly params: Tensor[];
  /** Batch-norm running statistics and other buffers: sent with the parameters, and each
   * worker's updated values come back in its slot and are averaged by shard size. */
  private readonly buffers: Tensor[];
  private readonly layout: { offsets: number[]; total: number };
  private readonly paramView: Float32Array;
  private readonly gradView: Float32Array;
  private readonly xView: Float32Array;
  private readonly yView: Int32Array;
  private readonly sample: number;
  private readonly rt: Runtime;
  private readonly staging: { ptr: number; length: number };

  constructor(private readonly opts: DataParallelOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`DataParallel: workers must be a positive integer, got ${opts.workers}`);
    }
    const problem = sharedMemoryProblem();
    if (problem) throw new Error(`DataParallel: ${problem}; train with workers: 1`);
    this.workers = opts.workers;
    this.rt = getRuntime();
    this.params = opts.model.parameters();
    this.buffers = opts.model.namedBuffers().map(([, t]) => t);
    this.layout = paramLayout([...this.params, ...this.buffers].map((p) => p.size));
    this.sample = opts.sampleShape.reduce((a, b) => a * b, 1);
    const params = new SharedArrayBuffer(this.layout.total * 4);
    const grads = new SharedArrayBuffer(this.layout.total * 4 * opts.workers);
    const x = new SharedArrayBuffer(opts.maxBatch * this.sample * 4);
    const y = new SharedArrayBuffer(opts.maxBatch * 4);
    this.paramView = new Float32Array(params);
    this.gradView = new Float32Array(grads);
    this.xView = new Float32Array(x);
    this.yView = new Int32Array(y);
    this.staging = this.rt.heap.allocF32(this.layout.total);
    this.init = {
      module: this.rt.module, build: this.rt.build, model: opts.modelName, params, grads, x, y,
      labelSmoothing: opts.labelSmoothing,
      sampleShape: opts.sampleShape,
    };
  }

  private async ensurePool(): Promise<WorkerPool> {
    if (!this.pool) {
      this.pool = await (this.opts.createPool ?? defaultPool)(this.workers, this.init);
    }
    return this.pool;
  }

  /**
   * Computes the gradient of the mean loss over x[0..size) into the model's .grad and returns
   * the mean loss and the number of correct predictions. where names the step in errors.
   */
  async step(x: Float32Array, y: Int32Array, size: number, stepSeed: number, where: string,
    fault?: { shard: number; kind: 'throw' | 'exit' }): Promise<{ loss: number; correct: number }> {
    return this.run(x, y, size, stepSeed, where, 'train', fault);
  }

  /** Mean loss and correct predictions of the model in eval mode on x[0..size) (no gradient). */
  async evaluate(x: Float32Array, y: Int32Array, size: number): Promise<{ loss: number; correct: number }> {
    return this.run(x, y, size, 0, 'evaluation', 'eval');
  }

  private async run(x: Float32Array, y: Int32Array, size: number, stepSeed: number, where: string,
    mode: 'train' | 'eval', fault?: { shard: number; kind: 'throw' | 'exit' }): Promise<{ loss: number; correct: number }> {
    if (size > this.opts.maxBatch) throw new RangeError(`DataParallel: batch ${size} > maxBatch ${this.opts.maxBatch}`);
    const pool = await this.ensurePool();
    [...this.params, ...this.buffers].forEach((p, i) => this.paramView.set(p.rawData(), this.layout.offsets[i]));
    this.xView.set(x.subarray(0, size * this.sample));
    this.yView.set(y.subarray(0, size));
    const shards = Math.min(this.workers, size);
    const tasks: ShardTask[] = [];
    let start = 0;
    for (let k = 0; k < shards; k++) {
      const count = Math.floor(size / shards) + (k < size % shards ? 1 : 0);
      tasks.push({ shard: k, start, count, stepSeed, mode, fault: fault?.shard === k ? fault.kind : undefined });
      start += count;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.opts.stepTimeoutMs ?? 600_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the workers within ${timeoutMs} ms`)), timeoutMs);
    });
    let results: ShardResult[];
    try {
      results = await Promise.race([Promise.all(tasks.map((t) => pool.run<ShardResult>(t).catch((e: Error) => {
        throw new Error(`worker for shard ${t.shard + 1}/${shards} (rows ${t.start}..${t.start + t.count - 1}) ` +
          `failed at ${where}: ${e.message}`);
      }))), timeout]);
    } catch (e) {
      // The pool may hold a dead or stuck worker: replace it, so training can go on (or resume).
      await this.restart();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    if (mode === 'train') this.reduce(tasks, size);
    let loss = 0;
    let correct = 0;
    tasks.forEach((t, k) => {
      loss += (t.count / size) * results[k].loss;
      correct += results[k].correct;
    });
    return { loss, correct };
  }

  /** grad = sum over shards, in order, of (count / size) * shard gradient. */
  private reduce(tasks: ShardTask[], size: number): void {
    const rt = this.rt;
    const total = this.layout.total;
    this.params.forEach((p) => {
      if (!p.grad) p.grad = Tensor.empty(p.shape).keep();
    });
    tasks.forEach((t, k) => {
      rt.heap.view(this.staging).set(this.gradView.subarray(k * total, (k + 1) * total));
      const w = t.count / size;
      this.params.forEach((p, i) => {
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
