// Loads one of the two kernel builds (simdgrad.simd128.wasm, simdgrad.relaxed.wasm), or the
// kernels an app hands over (InitOptions.wasm), into a memory the runtime owns: shared wherever
// SharedArrayBuffer is, so data-parallel workers run their instances over it (the .wasm files
// import a private memory; sharedVariant() derives the one importing a shared memory). Each
// build's URL is a static `new URL('<literal>', import.meta.url)`, which Vite and webpack follow.
// Tests: test/runtime/load.test.ts, test/runtime/wasm-source.test.ts, test/bundlers/.

import { canShareMemory, enableRelaxedSimdFlag, hasRelaxedSimd, hasSimd } from './features.js';
import { WasmHeap } from './heap.js';
import { prepareCollector } from './collector.js';
import { PageMap } from './pages.js';
import { isNode, loadNodeRuntime } from './platform.js';

export type BuildName = 'simd128' | 'relaxed';

/** Kernels an app supplies: where to fetch them (a URL; in Node also a path), a fetch Response
 * (or its promise), their bytes, or a compiled module. */
export type WasmSource =
  | URL
  | string
  | Response
  | PromiseLike<Response>
  | ArrayBuffer
  | ArrayBufferView
  | WebAssembly.Module;

export interface InitOptions {
  /** Which build: 'auto' (default) takes relaxed where the engine validates it. The environment
   * variable SIMDGRAD_BUILD (simd128 | relaxed | auto) is read when this is not given. */
  build?: 'auto' | BuildName;
  /** An already compiled module (a worker gets the main thread's, so nothing is refetched). */
  module?: WebAssembly.Module;
  /**
   * The kernels, for an app that hosts the .wasm file itself (a CDN, a service worker's cache)
   * or already has it: a URL or path, a fetch Response (or the promise fetch returns), the bytes
   * (ArrayBuffer or a view), or a WebAssembly.Module. It is whichever build it is (`build`, when
   * given, must match). Give the bytes or a URL where workers will share the memory: a Module
   * compiled from the .wasm file imports a private memory, so the runtime keeps one and trains
   * on one thread.
   */
  wasm?: WasmSource;
  /** Where both .wasm files are (a folder URL, e.g. copied there by the app's build); the build
   * is chosen as usual. Default: the package's dist/wasm/, as bundlers emit it. */
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
    /** A data-parallel worker's runtime (joined the main thread's memory): never splits. */
    readonly joined = false
  ) {}

  /** A workspace of at least bytes, reused across calls (kernels run one at a time per runtime). */
  workspace(bytes: number): number {
    return this.workspaces(bytes, 1)[0];
  }

  /** count workspaces of at least bytes each, one per part of a split kernel call (reused
   * across calls like workspace()). */
  workspaces(bytes: number, count: number): number[] {
    const stride = Math.ceil(bytes / 64) * 64;
    const total = stride * count;
    if (total > this.scratchBytes) {
      if (this.scratchPtr) this.heap.free(this.scratchPtr);
      this.scratchBytes = Math.ceil(total / 65536) * 65536;
      this.scratchPtr = this.heap.allocBytes(this.scratchBytes);
    }
    return Array.from({ length: count }, (_, i) => this.scratchPtr + i * stride);
  }

  /** The kernel export fn, typed by the caller's family binding. */
  fn<T extends (...args: never[]) => unknown>(name: string): T {
    const f = this.exports[name];
    if (typeof f !== 'function')
      throw new Error(`simdgrad: the ${this.build} build has no kernel ${name}`);
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
    throw new Error(
      `simdgrad: build must be 'auto', 'simd128' or 'relaxed', got '${want}'` +
        (requested === undefined ? ' (from SIMDGRAD_BUILD)' : '')
    );
  }
  if (!hasSimd()) {
    throw new Error(
      'simdgrad: this JavaScript engine has no WebAssembly SIMD (128-bit); ' +
        'simdgrad needs it (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+)'
    );
  }
  if (want === 'simd128') return 'simd128';
  await enableRelaxedSimdFlag();
  if (hasRelaxedSimd()) return 'relaxed';
  if (want === 'relaxed') {
    throw new Error(
      'simdgrad: the relaxed build was requested but this engine does not validate ' +
        'relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)'
    );
  }
  return 'simd128';
}

/** The package's file of a build. One literal per build, not a template: bundlers follow only
 * literals, and emit (and fetch) just what is named. */
function packagedWasm(build: BuildName): URL {
  return build === 'relaxed'
    ? new URL('../../wasm/simdgrad.relaxed.wasm', import.meta.url)
    : new URL('../../wasm/simdgrad.simd128.wasm', import.meta.url);
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Refuses bytes that are not a Wasm module, saying what they look like (a server's HTML
 * fallback page is the usual case: a .wasm file the app's build did not emit). */
function checkMagic(bytes: Uint8Array, from: string): void {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  const start = String.fromCharCode(...bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
  const page = /^\s*</.test(start)
    ? ", a web page: likely the server's fallback for a missing file"
    : '';
  throw new Error(
    `simdgrad: ${from} is not a WebAssembly file (it begins '${start}'${page}). ` +
      'If a bundler built this app, it did not emit the .wasm files: esbuild does not follow ' +
      '`new URL(..., import.meta.url)`, so copy node_modules/simdgrad/dist/wasm/*.wasm next to ' +
      'the bundle and call init({ wasmBaseUrl }) (README: "Using simdgrad in a web app")'
  );
}

/** The bytes at a URL: fetched, or read from disk in Node (a path or a file: URL). */
async function readUrl(where: string | URL, who: string): Promise<Uint8Array<ArrayBuffer>> {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let url: URL | null;
  try {
    url = new URL(String(where), base);
  } catch {
    url = null;
  }
  if (isNode && (!url || url.protocol === 'file:')) {
    const node = (await loadNodeRuntime())!;
    return node.readFileBytes(url ?? String(where)).catch((e: Error) => {
      throw new Error(`${who}: ${e.message}`);
    });
  }
  if (!url) throw new Error(`${who}: '${String(where)}' is not a URL`);
  return fromResponse(await fetch(url), who);
}

async function fromResponse(res: Response, who: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.ok) {
    throw new Error(`${who}: could not fetch ${res.url || 'the kernels'}: HTTP ${res.status}`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

async function readWasm(build: BuildName, base?: string | URL): Promise<Uint8Array<ArrayBuffer>> {
  const url = base === undefined ? packagedWasm(build) : new URL(`simdgrad.${build}.wasm`, base);
  const bytes = await readUrl(url, 'simdgrad');
  checkMagic(bytes, url.href);
  return bytes;
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
  const src =
    wasm instanceof ArrayBuffer
      ? new Uint8Array(wasm)
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
            throw new Error(
              `simdgrad: the kernels' memory import has limits flags ${bytes[p]}; ` +
                'a shared memory needs a maximum (build with asc --maximumMemory)'
            );
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
  throw new Error("simdgrad: the kernels' module imports no memory");
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
async function instantiate(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  build: string
): Promise<Record<string, unknown>> {
  const node = await loadNodeRuntime();
  if (node) return node.instantiateKernels(module, memory);
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
  if (opts.wasm !== undefined && !opts.module) return runtimeOfSource(opts.wasm, opts);
  const build = await chooseBuild(opts.build);
  const memory = opts.memory ?? newMemory();
  const shared = isSharedMemory(memory);
  let module = opts.module;
  if (!module) {
    const wasm = await readWasm(build, opts.wasmBaseUrl);
    module = await WebAssembly.compile(shared ? sharedVariant(wasm) : wasm);
  }
  const exports = await instantiate(module, memory, build);
  return newRuntime(build, module, memory, exports, opts.join);
}

function newRuntime(
  build: BuildName,
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  exports: Record<string, unknown>,
  join: InitOptions['join']
): Runtime {
  const heap = join
    ? new WasmHeap(memory, 0, {
        pages: new PageMap(join.pages),
        owner: join.owner,
        minClaimBytes: JOIN_CLAIM_BYTES,
      })
    : new WasmHeap(memory, (exports.heap_base as () => number)() >>> 0, {
        pages: new PageMap(isSharedMemory(memory)),
      });
  return new Runtime(build, module, exports, heap, join !== undefined);
}

function isResponse(x: unknown): x is Response | PromiseLike<Response> {
  return (
    (typeof Response === 'function' && x instanceof Response) ||
    typeof (x as PromiseLike<unknown> | null)?.then === 'function'
  );
}

/** The bytes of init({ wasm }), checked. */
async function sourceBytes(source: WasmSource): Promise<Uint8Array<ArrayBuffer>> {
  const who = 'init: wasm';
  let bytes: Uint8Array<ArrayBuffer>;
  let from = 'the bytes given';
  if (typeof source === 'string' || source instanceof URL) {
    bytes = await readUrl(source, who);
    from = String(source);
  } else if (isResponse(source)) {
    const res = await source;
    bytes = await fromResponse(res, who);
    from = res.url || 'the response';
  } else if (source instanceof ArrayBuffer) {
    bytes = new Uint8Array(source);
  } else if (ArrayBuffer.isView(source)) {
    bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
  } else {
    throw new TypeError(
      `${who} must be a URL, a path, a Response, an ArrayBuffer, a typed ` +
        `array or a WebAssembly.Module, got ${Object.prototype.toString.call(source)}`
    );
  }
  checkMagic(bytes, from);
  if (!WebAssembly.validate(bytes)) {
    const hint = hasRelaxedSimd()
      ? ''
      : ' (the relaxed build needs relaxed SIMD: give simdgrad.simd128.wasm)';
    throw new Error(`${who}: this engine cannot compile ${from}${hint}`);
  }
  return bytes;
}

/** init({ wasm }): the kernels the app gave, whichever build they are. */
async function runtimeOfSource(source: WasmSource, opts: InitOptions): Promise<Runtime> {
  const want = opts.build ?? 'auto';
  await chooseBuild(want); // checks the name and the engine's SIMD
  await enableRelaxedSimdFlag();
  let memory = opts.memory ?? newMemory();
  let module: WebAssembly.Module;
  let exports: Record<string, unknown>;
  if (source instanceof WebAssembly.Module) {
    module = source;
    try {
      exports = await instantiate(module, memory, 'given');
    } catch (e) {
      // a module compiled from the .wasm file imports a private memory: fall back to one
      if (opts.memory || !isSharedMemory(memory) || !(e instanceof WebAssembly.LinkError)) throw e;
      memory = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
      exports = await instantiate(module, memory, 'given');
    }
  } else {
    const bytes = await sourceBytes(source);
    module = await WebAssembly.compile(isSharedMemory(memory) ? sharedVariant(bytes) : bytes);
    exports = await instantiate(module, memory, 'given');
  }
  const isRelaxed = exports.build_is_relaxed;
  if (typeof isRelaxed !== 'function') {
    throw new Error(
      'init: wasm is not a simdgrad kernel build ' + '(it has no build_is_relaxed export)'
    );
  }
  const build: BuildName = (isRelaxed as () => number)() ? 'relaxed' : 'simd128';
  if (want !== 'auto' && want !== build) {
    throw new Error(
      `init: build '${want}' was asked for, but the wasm given is the ${build} ` + 'build'
    );
  }
  return newRuntime(build, module, memory, exports, opts.join);
}
