// WorkerPool on module Web Workers (pages): piscina's role in Node. Each worker gets the compiled
// kernel module and the shared Wasm memory once, at start; a task is a small message answered
// by id. Shared memory needs a cross-origin isolated page (COOP same-origin + COEP require-corp).
// Tests: test/browser/demo.test.ts.

import { sharedMemoryProblem } from '../runtime/features.js';
import type { WorkerInit, WorkerPool, WorkerTask } from './pool.js';
import type { WebWorkerReply, WebWorkerRequest } from './web-worker.js';
import { defaultWorkerUrl } from './worker-url.js';

export interface WebWorkerPoolOptions {
  /** The worker script (default: web-worker.js beside this module, which Vite and webpack
   * bundle as a worker); an app whose bundler does not (esbuild) builds the
   * `simdgrad/web-worker` entry itself and passes its URL. */
  workerUrl?: string | URL;
}

interface Job {
  id: number;
  task: object;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  index: number;
  job: Job | null;
  /** Why the worker is gone, once it is. */
  failed: string | null;
}

/**
 * A fixed number of module Web Workers, each holding a model replica. A task whose worker throws
 * rejects with the worker's message; a worker that dies (error event) rejects its task and is
 * not used again; when none is left every queued task rejects. Nothing waits forever.
 *
 * @example
 * const trainer = new Trainer({ ..., workers: 2,
 *   createPool: (size, init) => new WebWorkerPool(size, init) });
 */
export class WebWorkerPool implements WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private destroyed = false;

  constructor(
    readonly size: number,
    init: WorkerInit,
    opts: WebWorkerPoolOptions = {}
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`WebWorkerPool: size must be a positive integer, got ${size}`);
    }
    const problem = sharedMemoryProblem();
    if (problem) throw new Error(`WebWorkerPool: ${problem}`);
    if (typeof Worker !== 'function') throw new Error('WebWorkerPool: this realm has no Worker');
    for (let i = 0; i < size; i++) {
      // The default is the literal form bundlers recognise as a worker entry (options included:
      // Vite reads them statically).
      const url = opts.workerUrl ?? defaultWorkerUrl();
      const worker = url
        ? new Worker(url, { type: 'module' })
        : new Worker(new URL('./web-worker.js', import.meta.url), { type: 'module' });
      const slot: Slot = { worker, index: i, job: null, failed: null };
      worker.onmessage = (e: MessageEvent<WebWorkerReply>) => this.onReply(slot, e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.fail(slot, e.message || 'its script failed to load or threw outside a task');
      };
      worker.onmessageerror = () => this.fail(slot, 'a message from it could not be read');
      this.post(slot, { type: 'init', index: i, init });
      this.slots.push(slot);
    }
  }

  run<T>(task: object): Promise<T> {
    if (this.destroyed) return Promise.reject(new Error('WebWorkerPool: the pool was destroyed'));
    return new Promise<T>((resolve, reject) => {
      const settle = resolve as (v: unknown) => void;
      this.queue.push({ id: this.nextId++, task, resolve: settle, reject });
      this.pump();
    });
  }

  live(): number {
    return this.slots.filter((s) => !s.failed).length;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    for (const slot of this.slots) {
      slot.worker.terminate();
      slot.job?.reject(new Error(`${this.name(slot)}: the pool was destroyed`));
      slot.job = null;
    }
    for (const job of this.queue.splice(0)) {
      job.reject(new Error('WebWorkerPool: the pool was destroyed'));
    }
  }

  private name(slot: Slot): string {
    return `web worker ${slot.index + 1}/${this.size}`;
  }

  private post(slot: Slot, msg: WebWorkerRequest): void {
    slot.worker.postMessage(msg);
  }

  private pump(): void {
    const live = this.slots.filter((s) => !s.failed);
    if (live.length === 0) {
      const why = this.slots.map((s) => `${this.name(s)}: ${s.failed}`).join('; ');
      for (const job of this.queue.splice(0)) {
        job.reject(new Error(`WebWorkerPool: every worker has died (${why})`));
      }
      return;
    }
    for (const slot of live) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      this.post(slot, { type: 'task', id: job.id, task: job.task as WorkerTask });
    }
  }

  private onReply(slot: Slot, msg: WebWorkerReply): void {
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    slot.job = null;
    if (msg.type === 'result') job.resolve(msg.result);
    else job.reject(new Error(`${this.name(slot)}: ${msg.message}`));
    this.pump();
  }

  private fail(slot: Slot, why: string): void {
    if (slot.failed || this.destroyed) return;
    slot.failed = why;
    slot.worker.terminate();
    const job = slot.job;
    slot.job = null;
    job?.reject(new Error(`${this.name(slot)} died: ${why}`));
    this.pump();
  }
}
