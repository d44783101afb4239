// Starts an intra-op helper thread in a page or a Web Worker (the counterpart of node.ts
// startThread), reached through platform.ts loadWebThreads() so that an app that never sets
// threads loads neither this nor the helper's script. Tests: test/browser/threads.test.ts.

import type { ThreadHandle, ThreadInit } from './thread-core.js';

/**
 * A module Web Worker running thread-web-worker.js. The script's URL is the literal form Vite and
 * webpack bundle as a worker entry (options included: Vite reads them statically). onError is
 * told when the script fails to load or throws outside the loop (the team then gives up: a
 * helper that never says READY would otherwise be waited for until the start timeout).
 */
export function startWebThread(init: ThreadInit, onError: (message: string) => void): ThreadHandle {
  const worker = new Worker(new URL('./thread-web-worker.js', import.meta.url), { type: 'module' });
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    onError(
      e.message || 'its script (thread-web-worker.js, beside web-thread.js) failed to load or threw'
    );
  };
  worker.postMessage(init);
  return { terminate: () => worker.terminate() };
}
