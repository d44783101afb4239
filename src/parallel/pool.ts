// The one interface the data-parallel trainer needs from a pool of worker threads: piscina
// implements it in Node (piscina-pool.ts), module Web Workers in a browser (web-pool.ts).

import type { ModelSpec } from '../models/spec.js';

export interface WorkerPool {
  /** Threads in the pool. */
  readonly size: number;
  /** Runs one task on some idle worker; rejects if the task throws or the worker dies. */
  run<T>(task: object): Promise<T>;
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

/** What every worker gets once, at start: the compiled kernels and the shared buffers. */
export interface WorkerInit {
  /** The compiled kernel module (compiled once on the main thread, never refetched). */
  module: WebAssembly.Module;
  build: string;
  /** How a worker builds its model replica. */
  model: ModelSource;
  /** The main model's parameters then buffers, [name, shape]: the replica must match them. */
  state: [string, number[]][];
  loss: FunctionSource;
  metrics: [string, FunctionSource][];
  /** Parameters then buffers (batch-norm statistics), written by the main thread before every
   * step; slots in grads hold gradients, then the worker's updated buffers. */
  params: SharedArrayBuffer;
  /** One slot of gradients per shard, written by the workers. */
  grads: SharedArrayBuffer;
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

/** One shard of one step. */
export interface ShardTask {
  shard: number;
  start: number;
  count: number;
  /** Seeds the replica's generator, so dropout draws what one thread would. */
  stepSeed: number;
  /** 'eval': forward only in eval mode (no dropout, no gradient); 'check': only report that the
   * replica was built and matches the main model. */
  mode?: 'train' | 'eval' | 'check';
  /** Tests only: make the worker fail in the middle of the step. */
  fault?: 'throw' | 'exit';
}

export interface ShardResult {
  loss: number;
  /** Each metric's sum over the shard. */
  metrics: Record<string, number>;
  threadId: number;
}
