// Tensor: an f32 array in the Wasm heap with a shape (row-major, NCHW for images), an optional
// gradient and, when an op made it, the autograd node that can push gradients to its inputs.
// Memory manages itself: backward() frees the intermediates of the graph it walked (tape.ts), a
// tensor nobody references is freed after the garbage collector finds it (runtime/collector.ts,
// synchronously in Node when memory grows), and dispose(), tidy() and keep() give exact control.
// reshape views share storage. reshape() and backward() are Tensor methods installed by
// autograd/tape.ts, as each op file installs its own. Tests: test/tensor/memory.test.ts.

import { Collector, collectNow, collectsSynchronously } from '../runtime/collector.js';
import type { F32Buf, WasmHeap } from '../runtime/heap.js';
import type { Runtime } from '../runtime/load.js';

let runtime: Runtime | null = null;

/** The runtime tensors live in; init() sets it. */
export function getRuntime(): Runtime {
  if (!runtime) throw new Error('simdgrad: call `await init()` before creating tensors');
  return runtime;
}

export function setRuntime(rt: Runtime): void {
  runtime = rt;
}

/** Shared storage of a tensor and its reshaped views; freed when the last one lets go of it,
 * or later if a data() view of it may still be in use (so a view never aliases another tensor). */
class Storage {
  refs = 1;
  views = 0;
  pendingFree = false;
  freed = false;
  /** borrowed: memory another heap owns (see Tensor.borrow), never freed here nor counted. */
  constructor(
    readonly buf: F32Buf,
    readonly heap: WasmHeap,
    readonly borrowed = false
  ) {
    if (borrowed) return;
    stats.numDataBuffers++;
    stats.numBytes += buf.length * 4;
  }

  unref(): void {
    if (--this.refs > 0) return;
    if (this.views > 0) this.pendingFree = true;
    else this.free();
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.borrowed) return;
    this.heap.free(this.buf);
    stats.numDataBuffers--;
    stats.numBytes -= this.buf.length * 4;
  }
}

/** What the collector keeps for a tensor: never the tensor itself, or it could not die. */
interface Holder {
  storage: Storage;
  /** Frees what the tensor's autograd node saved outside tensors (raw heap buffers). */
  release: (() => void) | null;
}

const stats = { numTensors: 0, numDataBuffers: 0, numBytes: 0 };
/** Live bytes after the last collection: growth past it by COLLECT_SLACK triggers the next. */
let bytesAfterCollect = 0;
let collectMinSlack = 64 * 1024 * 1024;

/** Runs what frees a tensor's saved buffers (what its op's record() was given), at most once. */
function releaseOnce(h: Holder): void {
  const release = h.release;
  h.release = null;
  release?.();
}

let tensorCollector: Collector<Holder> | null = null;
let viewCollector: Collector<Storage> | null = null;

function collectors(): [Collector<Holder>, Collector<Storage>] {
  if (!tensorCollector || !viewCollector) {
    tensorCollector = new Collector<Holder>((h) => {
      stats.numTensors--;
      releaseOnce(h);
      h.storage.unref();
    });
    viewCollector = new Collector<Storage>((st) => {
      if (--st.views === 0 && st.pendingFree) st.free();
    });
  }
  return [tensorCollector, viewCollector];
}

/** @internal How far live memory may grow past the last collection before the next (tests). */
export function setCollectSlack(bytes: number): void {
  collectMinSlack = bytes;
}

/** Frees what unreachable tensors held, now where the engine allows it (see collector.ts). */
export function collectGarbage(): void {
  collectNow();
  bytesAfterCollect = stats.numBytes;
}

/** Before allocating bytes: collect when live memory grew well past the last collection's. */
function maybeCollect(bytes: number): void {
  const slack = Math.max(collectMinSlack, bytesAfterCollect / 2);
  if (stats.numBytes + bytes > bytesAfterCollect + slack && collectsSynchronously())
    collectGarbage();
}

/** Allocates storage, collecting garbage first when memory grew, and once more before giving up. */
function allocStorage(rt: Runtime, shape: readonly number[]): Storage {
  const length = shapeSize(shape);
  const label = `a tensor ${fmtShape(shape)}`;
  maybeCollect(length * 4);
  let buf: F32Buf;
  try {
    buf = rt.heap.allocF32(length, label);
  } catch (e) {
    if (!collectsSynchronously()) throw e;
    collectGarbage();
    buf = rt.heap.allocF32(length, label);
  }
  return new Storage(buf, rt.heap);
}

/**
 * Live tensors and their memory (as tf.memory()): numTensors (Tensor objects not yet disposed
 * or collected), numDataBuffers and numBytes (their distinct storages), wasmBytes (the Wasm
 * memory's size, which never shrinks: its high-water mark), heapReservedBytes (the heap's extent:
 * live blocks and the free ones between them) and heapHighWaterBytes (the most it has been).
 */
export function memory(): {
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  wasmBytes: number;
  heapReservedBytes: number;
  heapHighWaterBytes: number;
} {
  const rt = runtime;
  return {
    ...stats,
    wasmBytes: rt ? rt.heap.memory.buffer.byteLength : 0,
    heapReservedBytes: rt ? rt.heap.reservedBytes : 0,
    heapHighWaterBytes: rt ? rt.heap.highWaterBytes : 0,
  };
}

// Tensors created while a module's forward runs are its intermediates (backward frees them);
// what the outermost forward returns, and whatever user code makes, belongs to the user.
let moduleDepth = 0;

/** Runs a module's forward: its intermediates are marked as such, its results as the user's. */
export function inModule<T>(fn: () => T): T {
  moduleDepth++;
  let out: T;
  try {
    out = fn();
  } finally {
    moduleDepth--;
  }
  if (moduleDepth === 0)
    forEachTensor(out, (t) => {
      t.internal = false;
    });
  return out;
}

function forEachTensor(v: unknown, fn: (t: Tensor) => void): void {
  if (v instanceof Tensor) fn(v);
  else if (Array.isArray(v)) v.forEach((x) => forEachTensor(x, fn));
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    Object.values(v).forEach((x) => forEachTensor(x, fn));
  }
}

/** What an op leaves on its output so backward can reach the inputs (see autograd/tape.ts). */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients for inputs (null where an input needs none), given the output's gradient. */
  backward(gradOut: Tensor, needs: readonly boolean[]): (Tensor | null)[];
}

const scopes: Set<Tensor>[] = [];

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape))
    throw new TypeError(`${op}: shape must be an array, got ${String(shape)}`);
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isInteger(shape[i]) || shape[i] < 0) {
      throw new RangeError(
        `${op}: shape[${i}] must be a non-negative integer, got ${shape[i]} in ` +
          `${fmtShape(shape)}`
      );
    }
  }
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32' as const;
  requiresGrad: boolean;
  /** Gradient accumulated by backward() (leaves only, as in PyTorch). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, while the graph is alive. */
  node: GradNode | null = null;
  /** @internal Made inside a module's forward and not returned by the outermost one. */
  internal: boolean;
  /** @internal Made by an op (autograd's record), not by a factory such as tensor(). */
  opOutput = false;
  /** @internal keep() or retainGrad() was called: backward() leaves it alone. */
  retained = false;
  /** @internal backward() ran through this tensor's graph and freed it. */
  graphFreed = false;
  /** @internal retainGrad() was called: backward stores this non-leaf's gradient in .grad. */
  retainsGrad = false;
  private storage: Storage | null;
  private readonly holder: Holder;

  /** Low level: wraps storage; use tensor(), zeros(), randn() instead. */
  constructor(shape: readonly number[], storage: Storage, requiresGrad = false) {
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.storage = storage;
    this.requiresGrad = requiresGrad;
    this.internal = moduleDepth > 0;
    this.holder = { storage, release: null };
    stats.numTensors++;
    collectors()[0].register(this, this.holder);
    scopes[scopes.length - 1]?.add(this);
  }

  /** An uninitialised tensor of this shape. */
  static empty(shape: readonly number[], requiresGrad = false): Tensor {
    checkShape('empty', shape);
    const rt = getRuntime();
    return new Tensor(shape, allocStorage(rt, shape), requiresGrad);
  }

  /** @internal Sets what frees this tensor's autograd node's saved buffers (see releaseSaved). */
  setRelease(release: (() => void) | null): void {
    this.holder.release = release;
  }

  /** @internal Frees what this tensor's autograd node saved outside tensors, once. */
  releaseSaved(): void {
    releaseOnce(this.holder);
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  /** The heap buffer (for kernels); throws if disposed. */
  get buf(): F32Buf {
    return this.storageOf().buf;
  }

  /**
   * A live view of the data (writes change the tensor); valid until the next allocation that
   * grows the memory. The view keeps the tensor alive, and after dispose() its memory is not
   * reused while the view may still be in use; toFloat32Array() gives a copy.
   */
  data(): Float32Array {
    const st = this.storageOf();
    const view = this.rawData();
    Object.defineProperty(view, 'tensor', { value: this });
    st.views++;
    collectors()[1].register(view, st);
    return view;
  }

  /** @internal A view for the library's own short-lived use (not tracked; see data()). */
  rawData(): Float32Array {
    return this.storageOf().heap.view(this.buf).subarray(0, this.size);
  }

  private storageOf(): Storage {
    if (!this.storage) throw this.disposedError();
    return this.storage;
  }

  private disposedError(): Error {
    if (this.graphFreed && this.internal) {
      return new Error(
        `tensor ${fmtShape(this.shape)} is an intermediate of a module's forward that ` +
          'backward() freed; call .keep() (or .retainGrad()) on it before backward(), or pass ' +
          '{ retainGraph: true } to backward()'
      );
    }
    return new Error(`tensor ${fmtShape(this.shape)} was disposed`);
  }

  /** A copy of the data. */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.rawData());
  }

  /** The values as nested arrays of numbers (a number for a 0-d tensor), as torch's tolist(). */
  tolist(): number | unknown[] {
    const d = this.rawData();
    const build = (dim: number, offset: number): number | unknown[] => {
      if (dim === this.shape.length) return d[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new RangeError(`item: tensor ${fmtShape(this.shape)} has ${this.size} elements, not 1`);
    return this.rawData()[0];
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Makes backward() store this non-leaf tensor's gradient in .grad (as PyTorch's retain_grad). */
  retainGrad(): this {
    this.retainsGrad = true;
    this.retained = true;
    return this;
  }

  /** A tensor sharing this one's storage with another shape (no autograd link). */
  view(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(
        `view: cannot view ${fmtShape(this.shape)} (${this.size} values) as ${fmtShape(shape)}`
      );
    }
    const s = this.storageOf();
    s.refs++;
    return new Tensor(shape, s);
  }

  /** A tensor with the same data and no autograd history. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /**
   * @internal Makes this tensor read and write buf, memory another heap over the same shared
   * memory owns and keeps alive (a data-parallel worker's replica reading the main thread's
   * parameters in place); its own storage is let go of.
   */
  borrow(buf: F32Buf): void {
    if (buf.length !== this.size) {
      throw new RangeError(`borrow: buffer of ${buf.length} values for a tensor of ${this.size}`);
    }
    const old = this.storageOf();
    const st = new Storage(buf, old.heap, true);
    this.storage = st;
    this.holder.storage = st;
    old.unref();
  }

  /** Frees the data; further use throws. Safe to call twice. */
  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    collectors()[0].unregister(this);
    stats.numTensors--;
    this.releaseSaved();
    this.node = null;
    s.unref();
    for (const scope of scopes) scope.delete(this);
  }

  /** Takes this tensor out of the enclosing scopes so tidy() does not free it, and out of the
   * intermediates backward() frees. */
  keep(): this {
    this.retained = true;
    for (const scope of scopes) scope.delete(this);
    return this;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/**
 * Runs fn, then frees every tensor created inside it except the result (a tensor, or the
 * tensors in a returned array or object) and tensors that were kept. If fn throws, everything
 * it created is freed and the error goes on.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const keep = new Set<Tensor>();
  forEachTensor(result, (t) => keep.add(t));
  for (const t of scope) {
    if (keep.has(t)) {
      scopes[scopes.length - 1]?.add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Nested arrays of numbers (as torch.tensor takes them), flattened, with their shape. */
export type NestedArray = number | readonly NestedArray[];

function flattenNested(data: NestedArray): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let v: NestedArray = data; Array.isArray(v); v = (v as readonly NestedArray[])[0]) {
    shape.push((v as readonly NestedArray[]).length);
    if ((v as readonly NestedArray[]).length === 0) break;
  }
  const values: number[] = [];
  const walk = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') {
        throw new TypeError(
          `tensor: data${path} must be a number, got ${Array.isArray(v) ? 'an array (ragged nesting)' : typeof v === 'string' ? `'${v}'` : String(v)}`
        );
      }
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new RangeError(
        `tensor: ragged nested array: data${path} has ${Array.isArray(v) ? `${v.length} entries` : 'a number'} where ${shape[dim]} were expected (shape ${fmtShape(shape)})`
      );
    }
    v.forEach((x: NestedArray, i: number) => walk(x, dim + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  return { values, shape };
}

/**
 * A tensor with a copy of data: a typed array or array of numbers (shape defaults to its
 * length), nested arrays (shape inferred, as torch.tensor), or a number (a 0-d tensor).
 */
export function tensor(
  data: ArrayLike<number> | NestedArray,
  shape?: readonly number[],
  opts: { requiresGrad?: boolean } = {}
): Tensor {
  let values: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === 'number') {
    values = [data];
    inferred = [];
  } else if (Array.isArray(data)) {
    ({ values, shape: inferred } = flattenNested(data as NestedArray));
  } else if (
    ArrayBuffer.isView(data) ||
    (data && typeof (data as ArrayLike<number>).length === 'number')
  ) {
    values = data as ArrayLike<number>;
    inferred = [values.length];
    if (!ArrayBuffer.isView(data)) {
      for (let i = 0; i < values.length; i++) {
        if (typeof values[i] !== 'number')
          throw new TypeError(`tensor: data[${i}] must be a number, got ${String(values[i])}`);
      }
    }
  } else {
    throw new TypeError(
      `tensor: data must be numbers, nested arrays of numbers or a typed array, got ${String(data)}`
    );
  }
  const sh = shape ?? inferred;
  checkShape('tensor', sh);
  if (shapeSize(sh) !== values.length) {
    throw new RangeError(
      `tensor: data has ${values.length} values but shape ${fmtShape(sh)} needs ${shapeSize(sh)}`
    );
  }
  const t = Tensor.empty(sh, opts.requiresGrad ?? false);
  t.rawData().set(values);
  return t;
}

export function full(
  shape: readonly number[],
  value: number,
  opts: { requiresGrad?: boolean } = {}
): Tensor {
  const t = Tensor.empty(shape, opts.requiresGrad ?? false);
  t.rawData().fill(value);
  return t;
}

export function zeros(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 1, opts);
}
