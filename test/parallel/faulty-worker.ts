// The library's piscina worker (src/parallel/worker.ts) with the faults of faulty-pool.ts: a
// task with fault 'throw' throws where the replica calls backward (after forward and loss, as a
// failing op would); 'exit' ends the thread there, as a crash would.
import run from '../../src/parallel/worker.js';
import type { ShardResult } from '../../src/parallel/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { FaultyTask } from './faulty-pool.js';

export default async function faultyRun(task: FaultyTask): Promise<ShardResult> {
  const fault = task.fault;
  if (!fault) return run(task);
  const backward = Tensor.prototype.backward;
  Tensor.prototype.backward = function faultyBackward(): void {
    if (fault === 'exit') process.exit(3);
    throw new Error('injected fault (test)');
  };
  try {
    return await run(task);
  } finally {
    Tensor.prototype.backward = backward;
  }
}
