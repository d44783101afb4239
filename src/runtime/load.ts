// Loads one of the two kernel builds (simdgrad.simd128.wasm, simdgrad.relaxed.wasm) into a memory
// the runtime owns. In Node through @assemblyscript/loader; in pages and module Web Workers with
// WebAssembly.instantiate itself, since nothing on a page's path may be imported by a bare
// specifier (import maps do not reach module workers: Chromium 156 cannot resolve one there).
// Node-only modules (the loader, reading the file, the V8 flag) are reached by dynamic imports.
// The memory is shared wherever SharedArrayBuffer is (Node, cross-origin isolated pages), so
// data-parallel workers run their instances of the kernels over it; the .wasm files import a
// private memory and sharedVariant() derives the build that imports a shared one.

import { canShareMemory, enableRelaxedSimdFlag, hasRelaxedSimd, hasSimd, isNode } from './features.js';
import { WasmHeap } from './heap.js';
import { prepareCollector } from './collector.js';
import { PageMap } from './pages.js';

export type BuildName = 'simd128' | 'relaxed';

export interface InitOptions {
  /** Which build: 'auto' (default) takes relaxed where the engine validates it. The environment
   * variable SIMDGRAD_BUILD (simd128 | relaxed | auto) is read when this is not given. */
  build?: 'auto' | BuildName;
  /** An already compiled module (a worker gets the main thread's, so nothing is refetched). */
  module?: WebAssembly.Module;
  /** Where the .wasm files are (a folder URL); defaults to the package's dist/wasm/. */
  wasmBaseUrl?: string | URL;
  /** A memory to use instead of a new one (shared or not; it must declare a maximum of at most
   * 65536 pages). */
  memory?: WebAssembly.Memory;
  /** @internal A worker joining the main thread's memory: the memory's page map and the owner
   * id of the worker's heap (its pages are released when its pool ends). */
  join?: { pages: SharedArrayBuffer; owner: number };
}

/** The loaded kernels: raw exports, the heap over their memory, and which build it is. */
export class Runtime {
  private scratchPtr = 0;
  private scratchBytes = 0;

  constructor(
    readonly build: BuildName,
    readonly module: WebAssembly.Module,
    readonly exports: Record<string, unknown>,
    readonly heap: WasmHeap,
  ) {}

  /** A workspace of at least bytes, reused across calls (kernels run one at a time per runtime). */
  workspace(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr) this.heap.free(this.scratchPtr);
      this.scratchBytes = Math.ceil(bytes / 65536) * 65536;
      this.scratchPtr = this.heap.allocBytes(this.scratchBytes);
    }
    return this.scratchPtr;
  }

  /** The kernel export fn, typed by the caller's family binding. */
  fn<T extends (...args: never[]) => unknown>(name: string): T {
    const f = this.exports[name];
    if (typeof f !== 'function') throw new Error(`simdgrad: the ${this.build} build has no kernel ${name}`);
    return f as T;
  }
}

function envBuild(): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.SIMDGRAD_BUILD;
}

/** Decides the build: an explicit option, else SIMDGRAD_BUILD, else relaxed where validated. */
export async function chooseBuild(requested?: 'auto' | BuildName): Promise<BuildName> {
  const want = requested ?? envBuild() ?? 'auto';
  if (want !== 'auto' && want !== 'simd128' && want !== 'relaxed') {
    throw new Error(`simdgrad: build must be 'auto', 'simd128' or 'relaxed', got '${want}'` +
      (requested === undefined ? ' (from SIMDGRAD_BUILD)' : ''));
  }
  if (!hasSimd()) {
    throw new Error('simdgrad: this JavaScript engine has no WebAssembly SIMD (128-bit); ' +
      'simdgrad needs it (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+)');
  }
  if (want === 'simd128') return 'simd128';
  await enableRelaxedSimdFlag();
  if (hasRelaxedSimd()) return 'relaxed';
  if (want === 'relaxed') {
    throw new Error('simdgrad: the relaxed build was requested but this engine does not validate ' +
      'relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)');
  }
  return 'simd128';
}

async function readWasm(build: BuildName, base?: string | URL): Promise<BufferSource> {
  const url = new URL(`simdgrad.${build}.wasm`, base ?? new URL('../../wasm/', import.meta.url));
  if (url.protocol === 'file:') {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises');
    const bytes = await fs.readFile(url);
    return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`simdgrad: could not fetch ${url.href}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** Whether memory is a shared one (its buffer a SharedArrayBuffer). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/** A new memory for the kernels: shared where this realm can share memory (a shared memory must
 * reserve its maximum up front: a smaller one where 4 GiB of address space is refused). */
function newMemory(): WebAssembly.Memory {
  if (canShareMemory()) {
    for (const maximum of [65536, 16384, 4096]) {
      try {
        return new WebAssembly.Memory({ initial: 256, maximum, shared: true });
      } catch {
        // try a smaller reservation, then a private memory
      }
    }
  }
  return new WebAssembly.Memory({ initial: 256, maximum: 65536 });
}

function leb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return { value, next: at };
}

/**
 * The same module importing a shared memory: asc's --sharedMemory output differs from its
 * private-memory output (with --maximumMemory) only in the flags byte of the memory import's
 * limits, 0x01 (min, max) -> 0x03 (shared, min, max), so that byte is set in a copy.
 */
export function sharedVariant(wasm: BufferSource): Uint8Array<ArrayBuffer> {
  const src = wasm instanceof ArrayBuffer ? new Uint8Array(wasm)
    : new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength);
  const bytes = src.slice();
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const size = leb(bytes, at + 1);
    const end = size.next + size.value;
    if (id === 2) {
      let p = size.next;
      const count = leb(bytes, p);
      p = count.next;
      for (let i = 0; i < count.value; i++) {
        for (let name = 0; name < 2; name++) {
          const len = leb(bytes, p);
          p = len.next + len.value;
        }
        const kind = bytes[p++];
        if (kind === 2) {
          if (bytes[p] === 0x03) return bytes;
          if (bytes[p] !== 0x01) {
            throw new Error(`simdgrad: the kernels' memory import has limits flags ${bytes[p]}; ` +
              'a shared memory needs a maximum (build with asc --maximumMemory)');
          }
          bytes[p] = 0x03;
          return bytes;
        }
        if (kind === 0) p = leb(bytes, p).next;
        else if (kind === 1) p = skipLimits(bytes, p + 1);
        else if (kind === 3) p += 2;
        else if (kind === 4) p = leb(bytes, p + 1).next;
        else throw new Error(`simdgrad: unknown import kind ${kind} in the kernels' module`);
      }
    }
    at = end;
  }
  throw new Error('simdgrad: the kernels\' module imports no memory');
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at];
  let p = leb(bytes, at + 1).next;
  if (flags & 1) p = leb(bytes, p).next;
  return p;
}

/**
 * The kernels' exports. The stub-runtime build imports only env.memory (and abort, for a build
 * with assertions on) and exports functions of numbers, so both paths give the same functions.
 */
async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory,
  build: BuildName): Promise<Record<string, unknown>> {
  if (isNode) {
    const loader = await import(/* @vite-ignore */ '@assemblyscript/loader');
    const { exports } = await loader.instantiate<Record<string, unknown>>(module, { env: { memory } });
    return exports;
  }
  const abort = (_msg: number, _file: number, line: number, col: number): never => {
    throw new Error(`simdgrad: the ${build} kernels aborted (assembly line ${line}:${col})`);
  };
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort } });
  return instance.exports as Record<string, unknown>;
}

/** A worker's heap claims pages in runs of at least this (its shard's activations are tens of
 * MiB; fewer runs, less interleaving with the other heaps). */
const JOIN_CLAIM_BYTES = 8 * 1024 * 1024;

/** Compiles (or reuses) the chosen build and instantiates it over a fresh or given memory (the
 * build variant importing a shared memory when the memory is shared). */
export async function createRuntime(opts: InitOptions = {}): Promise<Runtime> {
  await prepareCollector();
  const build = await chooseBuild(opts.build);
  const memory = opts.memory ?? newMemory();
  const shared = isSharedMemory(memory);
  let module = opts.module;
  if (!module) {
    const wasm = await readWasm(build, opts.wasmBaseUrl);
    module = await WebAssembly.compile(shared ? sharedVariant(wasm) : wasm);
  }
  const exports = await instantiate(module, memory, build);
  const join = opts.join;
  const heap = join
    ? new WasmHeap(memory, 0, { pages: new PageMap(join.pages), owner: join.owner,
      minClaimBytes: JOIN_CLAIM_BYTES })
    : new WasmHeap(memory, (exports.heap_base as () => number)() >>> 0,
      { pages: new PageMap(shared) });
  return new Runtime(build, module, exports, heap);
}
