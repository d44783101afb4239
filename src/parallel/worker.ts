// A data-parallel worker under piscina (Node): the replica of replica.ts built from workerData
// once per thread; piscina calls the default export once per shard task. A replica that cannot
// be built fails every task with the reason (the main thread checks at start).

import { threadId, workerData } from 'node:worker_threads';
import type { ShardResult, WorkerInit, WorkerTask } from './pool.js';
import { createReplica } from './replica.js';

const ready = createReplica(workerData as WorkerInit, threadId).then(
  (step) => ({ step, error: null }),
  (error: Error) => ({ step: null, error })
);

export default async function run(task: WorkerTask): Promise<ShardResult> {
  const r = await ready;
  if (r.error) throw r.error;
  return r.step!(task);
}
