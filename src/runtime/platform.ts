// Where Node-only code comes from. It is imported as `#node/<path under src>` (package.json
// "imports"): Node resolves that to the module itself, a bundler building for a browser to
// src/node-only.ts, so no node: built-in, fs reader or piscina enters a page's bundle; a page
// without a bundler cannot resolve it at all. Both cases read as "not here". A page's own side
// (starting intra-op helpers as Web Workers) is loaded on demand the same way. Tests:
// test/runtime/load.test.ts, test/bundlers/, test/browser/threads.test.ts.

import type * as NodeRuntime from './node.js';
import type * as WebThreads from './web-thread.js';

/** True in Node (and in Node's worker threads), false in a page or a Web Worker. */
export const isNode = Boolean(
  (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node
);

/**
 * The module a `#node/...` import gave, or an error `simdgrad: <what> needs Node; <hint>` where
 * it is the browser stand-in or could not be resolved. In Node a failure is rethrown as it is
 * (a missing package should say so).
 */
export async function nodeOnly<T extends object>(
  imported: Promise<T>,
  what: string,
  hint?: string
): Promise<T> {
  const m = await imported.catch((e: unknown) => {
    if (isNode) throw e;
    return null;
  });
  if (m && !('NODE_ONLY' in m)) return m;
  throw new Error(`simdgrad: ${what} needs Node${hint ? `; ${hint}` : ''}`);
}

let nodeRuntime: Promise<typeof NodeRuntime | null> | null = null;
let loadedNodeRuntime: typeof NodeRuntime | null = null;

/** The runtime's Node side (file reads, V8 flags, synchronous collection, the loader), loaded
 * once; null outside Node. */
export function loadNodeRuntime(): Promise<typeof NodeRuntime | null> {
  nodeRuntime ??= isNode
    ? nodeOnly(import('#node/runtime/node'), 'the Node runtime').then(
        (m) => (loadedNodeRuntime = m)
      )
    : Promise.resolve(null);
  return nodeRuntime;
}

/** The runtime's Node side once loadNodeRuntime() has resolved (init() loads it), else null. */
export function nodeRuntimeIfLoaded(): typeof NodeRuntime | null {
  return loadedNodeRuntime;
}

let webThreads: Promise<typeof WebThreads> | null = null;

/** How a page (or a Web Worker) starts intra-op helper threads, Node's startThread's
 * counterpart: loaded on first use, so a page that never sets threads fetches nothing more. */
export function loadWebThreads(): Promise<typeof WebThreads> {
  webThreads ??= import('./web-thread.js');
  return webThreads;
}

/** Whether this realm can start intra-op helpers as module Web Workers and post them the shared
 * memory: a cross-origin isolated page, or a worker of one. */
export function canStartWebThreads(): boolean {
  return (
    !isNode &&
    typeof Worker === 'function' &&
    typeof SharedArrayBuffer === 'function' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false
  );
}
