// The one interface the data-parallel trainer needs from a pool of worker threads: piscina
// implements it in Node (piscina-pool.ts), module Web Workers in a browser (web-pool.ts).

import type { ModelSpec } from '../models/spec.js';
import type { StepPlan } from '../optim/index.js';

export interface WorkerPool {
  /** Threads in the pool. */
  readonly size: number;
  /** Runs one task on some idle worker; rejects if the task throws or the worker dies. */
  run<T>(task: object): Promise<T>;
  /** Workers still usable, for a pool that does not replace dead ones (the shards of a training
   * step wait for each other, so each needs a worker of its own). */
  live?(): number;
  /** Stops every worker; pending tasks reject. */
  destroy(): Promise<void>;
}

/**
 * An ES module export that worker threads import (they cannot receive functions or classes):
 * like piscina's `filename`, the module is named by URL.
 *
 * @example
 * { module: new URL('./net.js', import.meta.url), export: 'Net', args: [10] }
 */
export interface ExportRef {
  /** The module: a URL (best: `new URL('./net.js', import.meta.url)`, which works wherever the
   * code runs), or a URL or path string, resolved against the current directory in Node and the
   * page's address in a browser. It must import simdgrad from the same place the workers load
   * it from (the package name, or the same dist/ files). */
  module: string | URL;
  /** The export's name (default 'default'). */
  export?: string;
  /** Model only: the arguments of the class's constructor or the factory function
   * (structured-cloneable values). */
  args?: unknown[];
}

/**
 * Where data-parallel workers import what only the main thread has. A model built from library
 * layers (an nn.Sequential of them, a zoo model) and library losses (`F.crossEntropy`, any `F`
 * loss) and metrics (`metrics.accuracy`) need nothing here.
 */
export interface ReplicaOptions {
  /** The model: a Module class (called with `new` and `args`) or a factory function (called with
   * `args`, may be async) returning a Module with the main model's parameter names and shapes. */
  model?: ExportRef;
  /** The loss, when it is not an `F` function: a function (output, target) => Tensor. */
  loss?: ExportRef;
  /** The metrics that are not library ones: an object of metric functions under the names the
   * `metrics` option gives them. */
  metrics?: ExportRef;
}

/** How a worker rebuilds the model: from a spec (zoo name or library layers), or by importing. */
export type ModelSource =
  | { kind: 'spec'; spec: ModelSpec }
  | { kind: 'import'; url: string; export: string; args: unknown[] };

/** An `F` function by name, or an imported function (metrics: `key` of an imported object). */
export type FunctionSource =
  | { kind: 'builtin'; name: string; labelSmoothing?: number }
  | { kind: 'import'; url: string; export: string; key?: string };

/** What every worker gets once, at start: the compiled kernels and the shared memory. */
export interface WorkerInit {
  /** The compiled kernel module (compiled once on the main thread, never refetched): the
   * variant importing a shared memory. */
  module: WebAssembly.Module;
  build: string;
  /** The main thread's Wasm memory (shared): each worker instantiates the kernels over it and
   * reads the main model's parameters in place. */
  memory: WebAssembly.Memory;
  /** The memory's page map, and the owner id of this pool's heaps: every worker's heap claims
   * its pages under it, and they are released together when the pool ends. */
  pages: SharedArrayBuffer;
  owner: number;
  /** How a worker builds its model replica. */
  model: ModelSource;
  /** The main model's parameters then buffers, [name, shape]: the replica must match them. */
  state: [string, number[]][];
  loss: FunctionSource;
  metrics: [string, FunctionSource][];
  /** Uint32 byte offsets in memory, a row of TABLE_FIXED + workers cells per parameter then
   * buffer: the main model's tensor and where its reduced value goes (written by the main thread
   * before every step), then each shard's gradient (or updated buffer; 0: none, read as zeros),
   * written by the worker that ran the shard. */
  table: SharedArrayBuffer;
  /** Int32 cells where a step's shards are handed out and meet before the reduction (SYNC_*,
   * then one SYNC_CLAIMS cell per shard), cleared by the main thread before every step. */
  sync: SharedArrayBuffer;
  /** One byte per parameter, 1 where it requires a gradient, written by the main thread before
   * every step (frozen parameters cost the workers no gradient). Absent: all of them. */
  trainable?: SharedArrayBuffer;
  /** The minibatch: inputs and targets (i32 class labels or f32), written by the main thread. */
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  sampleShape: number[];
  /** Shape of one float target; null: class labels. */
  targetShape: number[] | null;
}

/** Cells of a table row before the shards' columns: the main tensor, the reduction's target. */
export const TABLE_FIXED = 2;
/** WorkerInit.sync cells: shards done with their gradient; set when one failed; the next shard
 * to take; then, per shard, who took it: 0 nobody yet, k + 1 task k (computing it), -(k + 1) task
 * k (done), so the main thread can name the shard of a worker that failed. */
export const SYNC_ARRIVED = 0;
export const SYNC_ABORT = 1;
export const SYNC_NEXT = 2;
export const SYNC_CLAIMS = 3;
/** What a shard that stopped because another failed says (the other's error is the one to
 * report). */
export const SHARD_ABORTED = 'stopped: another shard of this step failed';

/** One worker's part of one step. Training: the step's batch is cut into shards (rows), which
 * the step's tasks take in turn from a shared counter (a worker that is ahead takes more, so one
 * slowed down by the machine holds the step up less); each shard's gradient stays in the heap of
 * the worker that computed it; once every shard is done, task `shard` sums its slice (the
 * shard-th of `tasks` equal slices of all parameters and buffers) of target = sum over shards,
 * in shard order, of weight * the shard's value: the result does not depend on which worker
 * computed which shard. Eval and check: rows start..start+count of the batch. */
export interface ShardTask {
  /** This task's index among the step's tasks (training: its slice of the reduction). */
  shard: number;
  start: number;
  count: number;
  /** Training: [first row, row count] of each shard of the batch, and each shard's weight (its
   * share of the batch). */
  rows?: [number, number][];
  weights?: number[];
  /** Training: the step's task count (slices of the reduction). */
  tasks?: number;
  /** Training: how long to wait for the other shards before failing. */
  waitMs?: number;
  /** Training: the optimizer's kernel and, per parameter of the model (null: none), its state
   * and scalars: each task steps its slice of the parameters after reducing it. */
  update?: {
    kernel: StepPlan['kernel'];
    params: (Omit<StepPlan['params'][number], 'param'> | null)[];
  };
  /** Seeds the replica's generator, so dropout draws what one thread would. */
  stepSeed: number;
  /** 'eval': forward only in eval mode (no dropout, no gradient); 'check': only report that the
   * replica was built and matches the main model. */
  mode?: 'train' | 'eval' | 'check';
}

export type WorkerTask = ShardTask;

export interface ShardResult {
  /** Eval: the mean loss over the task's rows. */
  loss: number;
  /** Eval: each metric's sum over the task's rows. */
  metrics: Record<string, number>;
  /** Training: each batch shard this task computed, its mean loss and metric sums. */
  shards?: { index: number; loss: number; metrics: Record<string, number> }[];
  threadId: number;
  /** When the worker began the task, finished forward + backward of its shards, met the other
   * shards and finished its part of the reduction: ms on the clock all threads share
   * (wallClockMs()). */
  times?: { start: number; computed: number; met: number; reduced: number };
}

/** Milliseconds on a clock every thread of this process reads alike (performance.now() starts
 * at each thread's own origin). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
