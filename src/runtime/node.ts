// The runtime's Node side, imported only as '#node/runtime/node' (see platform.ts): reading
// files (the .wasm builds, weights), the V8 flags for relaxed SIMD and synchronous garbage
// collection, the thread count, intra-op helper threads, and @assemblyscript/loader.
// Tests: test/runtime/load.test.ts, test/parallel/threads.test.ts.

import { instantiate } from '@assemblyscript/loader';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { createContext, runInContext, runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { ThreadHandle, ThreadInit } from './thread-core.js';

/** The bytes of a file (a path or a file: URL). */
export async function readFileBytes(file: string | URL): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readFile(file);
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

export function threads(): number {
  return availableParallelism();
}

/** Node 20 has relaxed SIMD behind a V8 flag that NODE_OPTIONS refuses; set before any compile. */
export function enableRelaxedSimd(): void {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

type RegistryClass = new <T>(cb: (held: T) => void) => unknown;
type SyncCollection = { Registry: RegistryClass | null; gc: (() => void) | null };

/**
 * gc() and a FinalizationRegistry with cleanupSome(), from V8 flags set now and a context made
 * after them (see collector.ts); null where the process refuses.
 */
export function syncCollection(): SyncCollection | null {
  try {
    setFlagsFromString('--expose-gc');
    setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    const FR = runInContext('FinalizationRegistry', createContext({})) as RegistryClass;
    const cleanupSome = (FR.prototype as { cleanupSome?: unknown }).cleanupSome;
    const gc = runInNewContext('gc') as unknown;
    return {
      Registry: typeof cleanupSome === 'function' ? FR : null,
      gc: typeof gc === 'function' ? (gc as () => void) : null,
    };
  } catch {
    return null;
  }
}

/** The kernels' exports through @assemblyscript/loader (its abort decodes the message). */
export async function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory
): Promise<Record<string, unknown>> {
  const { exports } = await instantiate<Record<string, unknown>>(module, { env: { memory } });
  return exports;
}

/** An intra-op helper thread (thread-worker.js) that never keeps the process running. */
export function startThread(init: ThreadInit): ThreadHandle {
  const worker = new Worker(new URL('./thread-worker.js', import.meta.url), { workerData: init });
  worker.unref();
  // a helper that dies is noticed by the caller's timeout; the event itself must not crash Node
  worker.on('error', () => undefined);
  return { terminate: () => void worker.terminate() };
}
