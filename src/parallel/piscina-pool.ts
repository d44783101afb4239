// WorkerPool on piscina (Node): a fixed number of threads, each running worker.js.

import { Piscina } from 'piscina';
import type { WorkerInit, WorkerPool } from './pool.js';

export class PiscinaPool implements WorkerPool {
  private readonly piscina: Piscina;

  constructor(
    readonly size: number,
    init: WorkerInit
  ) {
    this.piscina = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      workerData: init,
      minThreads: size,
      maxThreads: size,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
    });
  }

  run<T>(task: object): Promise<T> {
    return this.piscina.run(task) as Promise<T>;
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
