// A data-parallel worker under piscina (Node): the replica of replica.ts built from workerData
// once per thread; piscina calls the default export once per shard task.

import { threadId, workerData } from 'node:worker_threads';
import type { ShardResult, ShardTask, WorkerInit } from './pool.js';
import { createReplica } from './replica.js';

const step = await createReplica(workerData as WorkerInit,
  { threadId, die: () => process.exit(3) });

export default function run(task: ShardTask): ShardResult {
  return step(task);
}
