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
// A task that ends the worker on purpose (fault 'exit') gets no answer: the pool learns of it
// from the worker's error event, as it would of a real crash.
const DIED = Symbol('died');
let replica: ReturnType<typeof createReplica> | null = null;

function die(): never {
  setTimeout(() => {
    throw new Error('injected worker death (test)');
  });
  throw DIED;
}

scope.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === 'init') {
    replica = createReplica(msg.init, { threadId: msg.index + 1, die });
    replica.catch(() => undefined);
    return;
  }
  try {
    if (!replica) throw new Error('task before init');
    const step = await replica;
    scope.postMessage({ type: 'result', id: msg.id, result: step(msg.task) });
  } catch (err) {
    if (err === DIED) return;
    const message = err instanceof Error ? err.message : String(err);
    scope.postMessage({ type: 'error', id: msg.id, message });
  }
};
