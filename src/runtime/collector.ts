// Frees Wasm memory whose JavaScript owner was garbage-collected. A FinalizationRegistry calls
// back some time after its target died, and only between tasks: a training loop that never
// yields would grow the heap without bound. In Node we can do better, synchronously: V8 built
// with --expose-gc gives gc(), and a FinalizationRegistry from a context created after
// --harmony-weak-refs-with-cleanup-some has cleanupSome(), which runs the pending callbacks now.
// collectNow() does both when memory is tight (tensor.ts decides when); elsewhere (pages, other
// engines) the callbacks run as the engine schedules them. Tests: test/tensor/memory.test.ts.

import { loadNodeRuntime } from './platform.js';

type Registry<T> = {
  register(target: object, held: T, token?: object): void;
  unregister(token: object): boolean;
  cleanupSome?(cb?: (held: T) => void): void;
};
type RegistryClass = new <T>(cb: (held: T) => void) => Registry<T>;

let gcNow: (() => void) | null = null;
let Registry: RegistryClass = FinalizationRegistry as unknown as RegistryClass;
let prepared = false;

/**
 * Turns on synchronous collection where the engine allows it (Node); call once before the first
 * registry is made (init() does). Harmless where unsupported.
 */
export async function prepareCollector(): Promise<void> {
  if (prepared) return;
  prepared = true;
  // Elsewhere (another engine, a locked-down process) finalizers still run, only later.
  const sync = (await loadNodeRuntime())?.syncCollection();
  if (sync?.Registry) Registry = sync.Registry as RegistryClass;
  if (sync?.gc) gcNow = sync.gc;
}

const registries: Registry<never>[] = [];

/** Whether collectNow() frees dead owners' memory before it returns (Node after init()). */
export function collectsSynchronously(): boolean {
  return (
    gcNow !== null && typeof (Registry.prototype as Registry<unknown>).cleanupSome === 'function'
  );
}

/** Runs a full garbage collection and the callbacks of every collector's dead owners (Node);
 * a no-op where the engine offers neither. */
export function collectNow(): void {
  if (!gcNow) return;
  gcNow();
  for (const r of registries) r.cleanupSome?.();
}

/** A registry of owners whose cleanup frees memory (see collectNow). */
export class Collector<T> {
  private readonly registry: Registry<T>;

  constructor(onCollected: (held: T) => void) {
    this.registry = new Registry<T>(onCollected);
    registries.push(this.registry as Registry<never>);
  }

  register(owner: object, held: T): void {
    this.registry.register(owner, held, owner);
  }

  unregister(owner: object): void {
    this.registry.unregister(owner);
  }
}
