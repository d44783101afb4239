// A worker pool for the fault tests (test/parallel/data-parallel.test.ts): piscina running
// faulty-worker.ts, which is the library's worker except that the shard a test picks fails
// where the replica calls backward, by throwing or by ending its thread as a crash would.
// The library's types know nothing of it: the fault rides on the task as an extra field.
import { Piscina } from 'piscina';
import type { CreatePool } from '../../src/parallel/data-parallel.js';
import type { ShardTask, WorkerPool } from '../../src/parallel/pool.js';

export type Fault = 'throw' | 'exit';

/** A shard task as faulty-worker.ts reads it. */
export interface FaultyTask extends ShardTask {
  fault?: Fault;
}

/** Makes pools (pass createPool to DataParallel or Trainer) whose next training step fails. */
export class FaultInjector {
  private next: { shard: number; fault: Fault } | null = null;

  /** The next training step's shard fails (once). */
  arm(shard: number, fault: Fault): void {
    this.next = { shard, fault };
  }

  readonly createPool: CreatePool = (size, init): WorkerPool => {
    const piscina = new Piscina({
      filename: new URL('./faulty-worker.js', import.meta.url).href,
      workerData: init,
      minThreads: size,
      maxThreads: size,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
    });
    return {
      size,
      run: <T>(task: object): Promise<T> => {
        const t = task as ShardTask;
        const armed = this.next;
        if (armed && t.mode === 'train' && t.shard === armed.shard) {
          this.next = null;
          return piscina.run({ ...t, fault: armed.fault } satisfies FaultyTask) as Promise<T>;
        }
        return piscina.run(task) as Promise<T>;
      },
      destroy: () => piscina.destroy(),
    };
  };
}
