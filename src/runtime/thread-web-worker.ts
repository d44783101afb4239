// An intra-op helper thread in a page: a module Web Worker started by web-thread.ts. Its one
// message brings the compiled kernels, the shared memory and the control block; from then on it
// serves the parts of kernel calls its team posts (thread-core.ts serveThread, the loop Node's
// helpers run) until the team stops. Tests: test/browser/threads.test.ts.

import { serveThread, type ThreadInit } from './thread-core.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ThreadInit>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (e) => {
  scope.onmessage = null;
  // blocks this worker (Atomics.wait between parts) for the rest of its life
  serveThread(e.data);
};
