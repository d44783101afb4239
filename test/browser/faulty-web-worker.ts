// The library's Web Worker (src/parallel/web-worker.ts) with faults, for the fault test of
// test/browser/demo.test.ts (its pool passes this file as workerUrl): a task carrying fault
// 'throw' throws where the replica calls backward; 'exit' fails there too, and the worker then
// dies as a crash would: the task gets no answer, the pool hears of it from an error event.
import '../../src/parallel/web-worker.js';
import type { WebWorkerReply, WebWorkerRequest } from '../../src/parallel/web-worker.js';
import { Tensor } from '../../src/tensor/tensor.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<WebWorkerRequest>) => unknown) | null;
  postMessage(msg: WebWorkerReply): void;
}

const scope = globalThis as unknown as WorkerScope;
const handle = scope.onmessage!;
const post = scope.postMessage.bind(scope);
let dying: number | null = null;

scope.postMessage = (msg) => {
  if (msg.id !== dying) {
    post(msg);
    return;
  }
  setTimeout(() => {
    throw new Error('injected worker death (test)');
  });
};

scope.onmessage = async (e) => {
  const msg = e.data;
  const fault = msg.type === 'task' ? (msg.task as { fault?: 'throw' | 'exit' }).fault : undefined;
  if (msg.type !== 'task' || !fault) return handle(e);
  if (fault === 'exit') dying = msg.id;
  const backward = Tensor.prototype.backward;
  Tensor.prototype.backward = function faultyBackward(): void {
    throw new Error('injected fault (test)');
  };
  try {
    await handle(e);
  } finally {
    Tensor.prototype.backward = backward;
  }
};
