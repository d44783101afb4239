// A data-parallel worker in a page: a module Web Worker started by web-pool.ts. The first message
// brings the compiled kernels and the shared buffers (replica.ts builds the model replica from
// them); every later one is a shard task, answered with its result or its error, by task id.

import type { WorkerInit, WorkerTask } from './pool.js';
import { createReplica } from './replica.js';

/** Main thread -> worker. */
export type WebWorkerRequest =
  | { type: 'init'; index: number; init: WorkerInit }
  | { type: 'task'; id: number; task: WorkerTask };

/** Worker -> main thread. */
export type WebWorkerReply =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent<WebWorkerRequest>) => void) | null;
  postMessage(msg: WebWorkerReply): void;
}

const scope = globalThis as unknown as WorkerScope;
let replica: ReturnType<typeof createReplica> | null = null;

scope.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    replica = createReplica(msg.init, msg.index + 1);
    replica.catch(() => undefined);
    return;
  }
  try {
    if (!replica) throw new Error('task before init');
    const step = await replica;
    scope.postMessage({ type: 'result', id: msg.id, result: step(msg.task) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    scope.postMessage({ type: 'error', id: msg.id, message });
  }
};
