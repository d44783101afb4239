// Loads one of the two kernel builds (simdgrad.simd128.wasm, simdgrad.relaxed.wasm) into a memory
// the runtime owns. In Node through @assemblyscript/loader; in pages and module Web Workers with
// WebAssembly.instantiate itself, since nothing on a page's path may be imported by a bare
// specifier (import maps do not reach module workers: Chromium 156 cannot resolve one there).
// Node-only modules (the loader, reading the file, the V8 flag) are reached by dynamic imports.

import { enableRelaxedSimdFlag, hasRelaxedSimd, hasSimd, isNode } from './features.js';
import { WasmHeap } from './heap.js';
import { prepareCollector } from './collector.js';

export type BuildName = 'simd128' | 'relaxed';

export interface InitOptions {
  /** Which build: 'auto' (default) takes relaxed where the engine validates it. The environment
   * variable SIMDGRAD_BUILD (simd128 | relaxed | auto) is read when this is not given. */
  build?: 'auto' | BuildName;
  /** An already compiled module (a worker gets the main thread's, so nothing is refetched). */
  module?: WebAssembly.Module;
  /** Where the .wasm files are (a folder URL); defaults to the package's dist/wasm/. */
  wasmBaseUrl?: string | URL;
  /** A memory to use instead of a new one (shared memory for worker threads). */
  memory?: WebAssembly.Memory;
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

/** Compiles (or reuses) the chosen build and instantiates it over a fresh or given memory. */
export async function createRuntime(opts: InitOptions = {}): Promise<Runtime> {
  await prepareCollector();
  const build = await chooseBuild(opts.build);
  const module = opts.module ?? await WebAssembly.compile(await readWasm(build, opts.wasmBaseUrl));
  const memory = opts.memory ?? new WebAssembly.Memory({ initial: 256, maximum: 65536 });
  const exports = await instantiate(module, memory, build);
  const heapBase = (exports.heap_base as () => number)() >>> 0;
  return new Runtime(build, module, exports, new WasmHeap(memory, heapBase));
}
