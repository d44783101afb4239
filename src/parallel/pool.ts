// The one interface the data-parallel trainer needs from a pool of worker threads: piscina
// implements it in Node (piscina-pool.ts); Web Workers will in a browser.

export interface WorkerPool {
  /** Threads in the pool. */
  readonly size: number;
  /** Runs one task on some idle worker; rejects if the task throws or the worker dies. */
  run<T>(task: object): Promise<T>;
  /** Stops every worker; pending tasks reject. */
  destroy(): Promise<void>;
}

/** What every worker gets once, at start: the compiled kernels and the shared buffers. */
export interface WorkerInit {
  /** The compiled kernel module (compiled once on the main thread, never refetched). */
  module: WebAssembly.Module;
  build: string;
  /** How a worker builds its model replica: a zoo model name. */
  model: string;
  /** Parameters then buffers (batch-norm statistics), written by the main thread before every
   * step; slots in grads hold gradients, then the worker's updated buffers. */
  params: SharedArrayBuffer;
  /** One slot of gradients per shard, written by the workers. */
  grads: SharedArrayBuffer;
  /** The minibatch: images and i32 labels, written by the main thread. */
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  sampleShape: number[];
  labelSmoothing?: number;
}

/** One shard of one step. */
export interface ShardTask {
  shard: number;
  start: number;
  count: number;
  /** Seeds the replica's generator, so dropout draws what one thread would. */
  stepSeed: number;
  /** 'eval': forward only in eval mode (no dropout, no gradient). */
  mode?: 'train' | 'eval';
  /** Tests only: make the worker fail in the middle of the step. */
  fault?: 'throw' | 'exit';
}

export interface ShardResult {
  loss: number;
  correct: number;
  threadId: number;
}
