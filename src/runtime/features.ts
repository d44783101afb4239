// What the engine offers: Wasm SIMD and relaxed SIMD (by validating tiny hand-assembled modules,
// no instantiation), memory shared with workers, the number of hardware threads. Node-only APIs
// come from the runtime's Node side (platform.ts), so the same code runs in a page.

import { isNode, loadNodeRuntime, nodeRuntimeIfLoaded } from './platform.js';

export { isNode };

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// One function type () -> v128, one function of that type.
const TYPE_AND_FUNC = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
const SPLAT = [0x41, 0x00, 0xfd, 0x0f]; // i32.const 0; i8x16.splat

function moduleWithBody(body: number[]): ArrayBuffer {
  const fn = [0x00, ...body, 0x0b]; // no locals, body, end
  const code = [0x01, fn.length, ...fn];
  return new Uint8Array([...HEADER, ...TYPE_AND_FUNC, 0x0a, code.length, ...code]).buffer;
}

/** True when the engine validates 128-bit SIMD (i8x16.splat). */
export function hasSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(moduleWithBody(SPLAT));
}

/** True when the engine validates relaxed SIMD (f32x4.relaxed_madd, opcode 0xfd 0x105). */
export function hasRelaxedSimd(): boolean {
  const body = [...SPLAT, ...SPLAT, ...SPLAT, 0xfd, 0x85, 0x02];
  return typeof WebAssembly === 'object' && WebAssembly.validate(moduleWithBody(body));
}

/** In Node 20, relaxed SIMD sits behind a V8 flag that NODE_OPTIONS refuses; turn it on before
 * any compile. Node 22+, Chrome 114+ and Firefox 146+ have it on already; elsewhere a no-op. */
export async function enableRelaxedSimdFlag(): Promise<void> {
  if (hasRelaxedSimd()) return;
  (await loadNodeRuntime())?.enableRelaxedSimd();
}

/** Whether this realm can share memory with workers (a page only when cross-origin isolated). */
export function canShareMemory(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer === 'function' && isolated !== false;
}

/** Why data-parallel training is off in this page, or null when it is available. */
export function sharedMemoryProblem(): string | null {
  if (canShareMemory()) return null;
  return (
    'this page is not cross-origin isolated, so SharedArrayBuffer is unavailable to share ' +
    'parameters and gradients with workers; serve it with the headers ' +
    'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp'
  );
}

/** Threads the machine offers this process: os.availableParallelism() in Node,
 * navigator.hardwareConcurrency in a page, 1 where neither says. */
export function availableThreads(): number {
  const node = nodeRuntimeIfLoaded();
  if (node) return node.threads();
  // before init() has loaded the Node side: Node 20.16+ hands out built-ins synchronously
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('os') as { availableParallelism(): number } | undefined;
  if (os) return os.availableParallelism();
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency || 1;
}
