// Data-parallel gradients over one shared Wasm memory: a minibatch is cut into shards (one per
// worker unless told otherwise): each worker takes one, then the rest in turn from a shared
// counter; each worker's replica reads the model's parameters in place and computes its shards'
// gradients in its own heap; once all are done (they meet in shared memory, no message) the
// workers sum the shards' gradients, weighted by shard size and in shard order, into the model's
// .grad, each worker one slice of all parameters (and, given the optimizer's plan, steps that
// slice): one round trip per step. The order is fixed, so a given shard count gives the same
// result every run whichever worker took which shard, equal to one thread's up to float
// rounding. Tests: test/parallel/, test/browser/.

import type { Module } from '../nn/module.js';
import type { StepPlan } from '../optim/index.js';
import { sharedMemoryProblem } from '../runtime/features.js';
import { isNode, nodeOnly } from '../runtime/platform.js';
import { isSharedMemory, type Runtime } from '../runtime/load.js';
import { Tensor, getRuntime } from '../tensor/tensor.js';
import { modelSpec } from '../models/spec.js';
import type { LossFunction, MetricFunction } from '../train/metrics.js';
import { resolveLoss, resolveMetrics } from '../train/objective.js';
import {
  SHARD_ABORTED,
  SYNC_CLAIMS,
  TABLE_FIXED,
  type ReplicaOptions,
  type ShardResult,
  type ShardTask,
  type WorkerInit,
  type WorkerPool,
  wallClockMs,
} from './pool.js';
import { lossSource, metricSources, modelSource } from './sources.js';
import { WebWorkerPool } from './web-pool.js';

const STEP_TIMEOUT_MS = 600_000;

export type CreatePool = (size: number, init: WorkerInit) => WorkerPool | Promise<WorkerPool>;

/** piscina where this is Node (loaded on first use, through `#node/...`, so a page's bundle never
 * holds it), module Web Workers elsewhere. */
export const defaultPool: CreatePool = async (size, init) => {
  if (isNode) {
    const { PiscinaPool } = await nodeOnly(import('#node/parallel/piscina-pool'), 'piscina');
    return new PiscinaPool(size, init);
  }
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
  /** Shards a training batch is cut into (at most its size): each worker computes one, then
   * they take the rest in turn, so a worker that the machine slows down takes fewer (default:
   * workers). Batch norm normalises
   * each shard by itself; the result is the same whichever worker takes which shard. */
  shards?: number;
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

/** Where one data-parallel step's time went, in ms (DataParallel.lastStep): what the main
 * thread did, the messages each way, and each worker's work. bench/scaling.ts turns it into the
 * step's serial fraction. */
export interface StepTiming {
  /** Main thread, from step() until the shards are handed to the pool: checks, the table,
   * copying the batch into shared memory. */
  prepare: number;
  /** Per worker: from the hand-over until it began (the message out). */
  dispatch: number[];
  /** Per worker: forward and backward of the shards it took (eval: the forward). */
  compute: number[];
  /** Per worker: waiting for the other shards' gradients (load imbalance). */
  meet: number[];
  /** Per worker: its part of the reduction. */
  reduce: number[];
  /** From the last worker's end until the main thread held every result (the messages back). */
  collect: number;
  /** Main thread after the results: the loss and metric sums. */
  finish: number;
  /** The whole call. */
  total: number;
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
  /** Shards per training batch (at most the batch size). */
  readonly shards: number;
  /** The timing of the last step() or evaluate() (null before the first). */
  lastStep: StepTiming | null = null;
  private pool: WorkerPool | null = null;
  /** The page-map owner id of the pool's heaps (their pages are released with the pool). */
  private poolOwner = 0;
  private starting: Promise<WorkerPool> | null = null;
  private readonly init: Omit<WorkerInit, 'owner'>;
  private readonly params: Tensor[];
  /** Batch-norm running statistics and other buffers: each worker starts a step from the
   * model's, and their updated values are averaged by shard size like the gradients. */
  private readonly buffers: Tensor[];
  private readonly table: Uint32Array;
  private readonly row: number;
  private readonly sync: Int32Array;
  private readonly trainable: Uint8Array;
  private readonly xView: Float32Array;
  private readonly yView: Int32Array | Float32Array;
  private readonly sample: number;
  private readonly targetSize: number;
  private readonly rt: Runtime;

  constructor(private readonly opts: DataParallelOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) {
      throw new RangeError(`DataParallel: workers must be a positive integer, got ${opts.workers}`);
    }
    const problem = sharedMemoryProblem();
    if (problem) throw new Error(`DataParallel: ${problem}; train with workers: 1`);
    const who = 'DataParallel';
    const labels = opts.targetShape === undefined || opts.targetShape === null;
    const model =
      opts.modelName && !modelSpec(opts.model)
        ? { kind: 'spec' as const, spec: { zoo: opts.modelName } }
        : modelSource(opts.model, opts.replica, who);
    resolveLoss(opts.loss, labels, opts.labelSmoothing, who);
    const loss = lossSource(opts.loss, opts.replica, opts.labelSmoothing, who);
    const metrics = metricSources(resolveMetrics(opts.metrics, labels, who), opts.replica, who);
    this.workers = opts.workers;
    this.shards = opts.shards ?? opts.workers;
    if (!Number.isInteger(this.shards) || this.shards < 1) {
      throw new RangeError(`DataParallel: shards must be a positive integer, got ${opts.shards}`);
    }
    this.rt = getRuntime();
    if (!isSharedMemory(this.rt.heap.memory)) {
      throw new Error(
        "DataParallel: the runtime's Wasm memory is not shared (init() makes a " +
          'shared one where SharedArrayBuffer exists; a memory given to init() must be shared ' +
          'too); train with workers: 1'
      );
    }
    this.params = opts.model.parameters();
    this.buffers = opts.model.namedBuffers().map(([, t]) => t);
    this.row = TABLE_FIXED + this.shards;
    const table = new SharedArrayBuffer(4 * this.row * (this.params.length + this.buffers.length));
    this.table = new Uint32Array(table);
    const sync = new SharedArrayBuffer(4 * (SYNC_CLAIMS + this.shards));
    this.sync = new Int32Array(sync);
    const trainable = new SharedArrayBuffer(Math.max(this.params.length, 1));
    this.trainable = new Uint8Array(trainable);
    this.sample = opts.sampleShape.reduce((a, b) => a * b, 1);
    const targetShape = labels ? null : [...opts.targetShape!];
    this.targetSize = (targetShape ?? []).reduce((a, b) => a * b, 1);
    const x = new SharedArrayBuffer(opts.maxBatch * this.sample * 4);
    const y = new SharedArrayBuffer(opts.maxBatch * this.targetSize * 4);
    this.xView = new Float32Array(x);
    this.yView = labels ? new Int32Array(y) : new Float32Array(y);
    const state: [string, number[]][] = [
      ...opts.model.namedParameters().map(([n, t]) => [n, [...t.shape]] as [string, number[]]),
      ...opts.model.namedBuffers().map(([n, t]) => [n, [...t.shape]] as [string, number[]]),
    ];
    const heap = this.rt.heap;
    this.init = {
      module: this.rt.module,
      build: this.rt.build,
      memory: heap.memory,
      pages: heap.pages.buffer as SharedArrayBuffer,
      model,
      state,
      loss,
      metrics,
      table,
      sync,
      trainable,
      x,
      y,
      sampleShape: [...opts.sampleShape],
      targetShape,
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
    const owner = this.rt.heap.pages.newOwner();
    const pool = await (this.opts.createPool ?? defaultPool)(this.workers, { ...this.init, owner });
    const check: ShardTask = { shard: 0, start: 0, count: 0, stepSeed: 0, mode: 'check' };
    try {
      await this.withTimeout(
        Promise.all(Array.from({ length: this.workers }, () => pool.run<ShardResult>(check))),
        'to start'
      );
    } catch (e) {
      await pool.destroy().catch(() => undefined);
      this.rt.heap.pages.release(owner);
      throw new Error(`DataParallel: the workers could not start: ${(e as Error).message}`);
    }
    this.pool = pool;
    this.poolOwner = owner;
    return pool;
  }

  private async withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.opts.stepTimeoutMs ?? STEP_TIMEOUT_MS;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from the workers within ${timeoutMs} ms ` + `${what}`)),
        timeoutMs
      );
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
   * [size, ...targetShape]. where names the step in errors. With update
   * (`optimizer.planStep()`), the workers also make the optimizer's step, each on its slice of
   * the parameters right after reducing it: the same bits as optimizer.step() after step()
   * (for optimizers whose step is element-wise: not after clipping the gradient's norm).
   */
  async step(
    x: Float32Array,
    y: Int32Array | Float32Array,
    size: number,
    stepSeed: number,
    where: string,
    update?: StepPlan
  ): Promise<ParallelResult> {
    return this.run(x, y, size, stepSeed, where, 'train', update);
  }

  /** Mean loss and metric sums of the model in eval mode on x[0..size) (no gradient). */
  async evaluate(
    x: Float32Array,
    y: Int32Array | Float32Array,
    size: number
  ): Promise<ParallelResult> {
    return this.run(x, y, size, 0, 'evaluation', 'eval');
  }

  private async run(
    x: Float32Array,
    y: Int32Array | Float32Array,
    size: number,
    stepSeed: number,
    where: string,
    mode: 'train' | 'eval',
    update?: StepPlan
  ): Promise<ParallelResult> {
    const t0 = wallClockMs();
    if (size > this.opts.maxBatch)
      throw new RangeError(`DataParallel: batch ${size} > maxBatch ${this.opts.maxBatch}`);
    if (y instanceof Int32Array !== this.yView instanceof Int32Array) {
      const kind = this.yView instanceof Int32Array ? 'class labels' : 'float targets';
      throw new TypeError(
        `DataParallel: y is ${y.constructor.name}, expected ` +
          `${this.yView.constructor.name} (${kind})`
      );
    }
    let pool = await this.ensurePool();
    if ((pool.live?.() ?? this.workers) < Math.min(this.workers, size)) {
      // a worker died between steps: the shards would wait for one that never comes
      await this.restart();
      pool = await this.ensurePool();
    }
    const state = [...this.params, ...this.buffers];
    state.forEach((p, i) => {
      this.table[i * this.row] = p.buf.ptr;
    });
    if (mode === 'train') this.setTargets();
    this.sync.fill(0);
    this.xView.set(x.subarray(0, size * this.sample));
    this.yView.set(y.subarray(0, size * this.targetSize));
    const split = (parts: number): [number, number][] => {
      let start = 0;
      return Array.from({ length: parts }, (_, k) => {
        const count = Math.floor(size / parts) + (k < size % parts ? 1 : 0);
        start += count;
        return [start - count, count];
      });
    };
    const waitMs = this.opts.stepTimeoutMs ?? STEP_TIMEOUT_MS;
    let tasks: ShardTask[];
    let rows: [number, number][] = [];
    let weights: number[] = [];
    if (mode === 'train') {
      rows = split(Math.min(this.shards, size));
      weights = rows.map(([, c]) => c / size);
      const n = Math.min(this.workers, rows.length);
      tasks = Array.from({ length: n }, (_, k) => ({
        shard: k,
        start: 0,
        count: 0,
        stepSeed,
        mode,
        rows,
        weights,
        tasks: n,
        waitMs,
        update: update && this.byParameter(update),
      }));
    } else {
      tasks = split(Math.min(this.workers, size)).map(([start, count], k) => ({
        shard: k,
        start,
        count,
        stepSeed,
        mode,
      }));
    }
    const sent = wallClockMs();
    const results = await this.all(pool, tasks, where, rows);
    const arrived = wallClockMs();
    let loss = 0;
    const metrics: Record<string, number> = {};
    const add = (weight: number, l: number, m: Record<string, number>): void => {
      loss += weight * l;
      for (const [name, v] of Object.entries(m)) metrics[name] = (metrics[name] ?? 0) + v;
    };
    if (mode === 'train') {
      const byShard = results.flatMap((r) => r.shards ?? []).sort((a, b) => a.index - b.index);
      for (const r of byShard) add(weights[r.index], r.loss, r.metrics);
    } else {
      tasks.forEach((t, k) => add(t.count / size, results[k].loss, results[k].metrics));
    }
    this.lastStep = stepTiming(results, t0, sent, arrived, wallClockMs());
    return { loss, metrics, correct: metrics.accuracy ?? null };
  }

  /** A plan's entries in the model's parameter order (the optimizer may hold a subset). */
  private byParameter(plan: StepPlan): NonNullable<ShardTask['update']> {
    const at = new Map(plan.params.map(({ param, ...rest }) => [param, rest]));
    return { kernel: plan.kernel, params: this.params.map((p) => at.get(p.buf.ptr) ?? null) };
  }

  /** Where the workers sum the shards: the parameters' .grad (made here when missing) and the
   * buffers themselves. A frozen parameter (requiresGrad false) gets none, as backward gives it
   * none on one thread: its target is 0 and the workers skip it. */
  private setTargets(): void {
    this.params.forEach((p, i) => {
      this.trainable[i] = p.requiresGrad ? 1 : 0;
      if (!p.requiresGrad) {
        this.table[i * this.row + 1] = 0;
        return;
      }
      if (!p.grad) p.grad = Tensor.empty(p.shape).keep();
      this.table[i * this.row + 1] = p.grad.buf.ptr;
    });
    this.buffers.forEach((b, j) => {
      this.table[(this.params.length + j) * this.row + 1] = b.buf.ptr;
    });
  }

  /**
   * Runs the shards; on a failure the pool is replaced (it may hold a dead or stuck worker, so
   * training can go on, or resume) and the failing shard's error is thrown. Shards that stopped
   * only because another failed (SHARD_ABORTED) do not end the wait for that error.
   */
  private async all(
    pool: WorkerPool,
    tasks: ShardTask[],
    where: string,
    rows: [number, number][]
  ): Promise<ShardResult[]> {
    const why = (t: ShardTask, e: Error): Error => {
      // training: the shard the worker was computing, as its claim cell says
      let k = -1;
      for (let j = 0; j < rows.length; j++) {
        if (Atomics.load(this.sync, SYNC_CLAIMS + j) === t.shard + 1) k = j;
      }
      const [n, start, count] =
        rows.length === 0
          ? [tasks.length, t.start, t.count]
          : k >= 0
            ? [rows.length, ...rows[k]]
            : [0, 0, 0];
      const what =
        n > 0
          ? `shard ${(k >= 0 ? k : t.shard) + 1}/${n} (rows ${start}..` + `${start + count - 1})`
          : `worker ${t.shard + 1}/${tasks.length} (between shards)`;
      return new Error(`worker for ${what} failed at ${where}: ${e.message}`);
    };
    const settled = new Promise<ShardResult[]>((resolve, reject) => {
      const out: ShardResult[] = new Array(tasks.length);
      let left = tasks.length;
      let secondary: Error | null = null;
      const done = (): void => {
        if (--left > 0) return;
        if (secondary) reject(secondary);
        else resolve(out);
      };
      tasks.forEach((t, k) => {
        pool.run<ShardResult>(t).then(
          (r) => {
            out[k] = r;
            done();
          },
          (e: Error) => {
            if (!e.message.includes(SHARD_ABORTED)) {
              reject(why(t, e));
              return;
            }
            secondary ??= why(t, e);
            done();
          }
        );
      });
    });
    try {
      return await this.withTimeout(settled, `at ${where}`);
    } catch (e) {
      await this.restart();
      throw e;
    }
  }

  /** Replaces the pool with a fresh one (after a failure). */
  async restart(): Promise<void> {
    const old = this.pool;
    this.pool = null;
    await old?.destroy().catch(() => undefined);
    // the workers are gone: their heaps' pages go back to the memory
    if (old) this.rt.heap.pages.release(this.poolOwner);
  }

  async close(): Promise<void> {
    await this.restart();
  }
}

function stepTiming(
  results: ShardResult[],
  t0: number,
  sent: number,
  arrived: number,
  end: number
): StepTiming {
  const times = results.map(
    (r) => r.times ?? { start: sent, computed: sent, met: sent, reduced: sent }
  );
  return {
    prepare: sent - t0,
    dispatch: times.map((t) => t.start - sent),
    compute: times.map((t) => t.computed - t.start),
    meet: times.map((t) => t.met - t.computed),
    reduce: times.map((t) => t.reduced - t.met),
    collect: arrived - Math.max(...times.map((t) => t.reduced)),
    finish: end - arrived,
    total: end - t0,
  };
}
