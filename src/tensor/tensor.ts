// Tensor: an f32 array in the Wasm heap with a shape (row-major, NCHW for images), an optional
// gradient and, when an op made it, the autograd node that can push gradients to its inputs.
// Memory is explicit: dispose() or a scope (tidy) frees it; reshape views share storage.

import type { F32Buf } from '../runtime/heap.js';
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

/** Shared storage of a tensor and its reshaped views; freed when the last user disposes. */
class Storage {
  refs = 1;
  constructor(readonly buf: F32Buf) {}
}

/** What an op leaves on its output so backward can reach the inputs (see autograd/tape.ts). */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients for inputs (null where an input needs none), given the output's gradient. */
  backward(gradOut: Tensor, needs: readonly boolean[]): (Tensor | null)[];
  /** Frees what forward saved (called once backward has run, or when the graph is dropped). */
  release?(): void;
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
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array, got ${String(shape)}`);
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isInteger(shape[i]) || shape[i] < 0) {
      throw new RangeError(`${op}: shape[${i}] must be a non-negative integer, got ${shape[i]} in ` +
        `${fmtShape(shape)}`);
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
  private storage: Storage | null;

  /** Low level: wraps storage; use tensor(), zeros(), randn() instead. */
  constructor(shape: readonly number[], storage: Storage, requiresGrad = false) {
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.storage = storage;
    this.requiresGrad = requiresGrad;
    scopes[scopes.length - 1]?.add(this);
  }

  /** An uninitialised tensor of this shape. */
  static empty(shape: readonly number[], requiresGrad = false): Tensor {
    checkShape('empty', shape);
    const rt = getRuntime();
    return new Tensor(shape, new Storage(rt.heap.allocF32(shapeSize(shape))), requiresGrad);
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  /** The heap buffer (for kernels); throws if disposed. */
  get buf(): F32Buf {
    if (!this.storage) throw new Error(`tensor ${fmtShape(this.shape)} was disposed`);
    return this.storage.buf;
  }

  /** A live view of the data; valid until the next allocation that grows the memory. */
  data(): Float32Array {
    return getRuntime().heap.view(this.buf).subarray(0, this.size);
  }

  /** A copy of the data. */
  toFloat32Array(): Float32Array {
    return Float32Array.from(this.data());
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: tensor ${fmtShape(this.shape)} has ${this.size} elements, not 1`);
    return this.data()[0];
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Same data, another shape (one dimension may be -1); shares storage. */
  reshape(shape: readonly number[]): Tensor {
    return reshapeHook(this, shape);
  }

  /** Backpropagates from this tensor (a scalar, or any shape with gradient given). */
  backward(gradient?: Tensor): void {
    backwardHook(this, gradient);
  }

  /** A tensor sharing this one's storage with another shape (no autograd link). */
  view(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(`view: cannot view ${fmtShape(this.shape)} (${this.size} values) as ${fmtShape(shape)}`);
    }
    const s = this.storage;
    if (!s) throw new Error(`tensor ${fmtShape(this.shape)} was disposed`);
    s.refs++;
    return new Tensor(shape, s);
  }

  /** A tensor with the same data and no autograd history. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /** Frees the data (and the gradient's); further use throws. Safe to call twice. */
  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.node?.release?.();
    this.node = null;
    if (--s.refs === 0) getRuntime().heap.free(s.buf);
    for (const scope of scopes) scope.delete(this);
  }

  /** Takes this tensor out of the enclosing scopes so tidy() does not free it. */
  keep(): this {
    for (const scope of scopes) scope.delete(this);
    return this;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

// Filled in by autograd (kept out of this file so the tensor layer knows no op).
let reshapeHook: (t: Tensor, shape: readonly number[]) => Tensor = () => {
  throw new Error('autograd not loaded');
};
let backwardHook: (t: Tensor, gradient?: Tensor) => void = () => {
  throw new Error('autograd not loaded');
};

export function installHooks(reshape: typeof reshapeHook, backward: typeof backwardHook): void {
  reshapeHook = reshape;
  backwardHook = backward;
}

/**
 * Runs fn, then frees every tensor created inside it except the result (a tensor, or the
 * tensors in a returned array or object) and tensors that were kept.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<Tensor>();
  const collect = (v: unknown): void => {
    if (v instanceof Tensor) keep.add(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      Object.values(v).forEach(collect);
    }
  };
  collect(result);
  for (const t of scope) {
    if (keep.has(t)) {
      scopes[scopes.length - 1]?.add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** A tensor with a copy of data; shape defaults to [data.length]. */
export function tensor(data: ArrayLike<number>, shape?: readonly number[],
  opts: { requiresGrad?: boolean } = {}): Tensor {
  const sh = shape ?? [data.length];
  checkShape('tensor', sh);
  if (shapeSize(sh) !== data.length) {
    throw new RangeError(`tensor: data has ${data.length} values but shape ${fmtShape(sh)} needs ${shapeSize(sh)}`);
  }
  const t = Tensor.empty(sh, opts.requiresGrad ?? false);
  t.data().set(data);
  return t;
}

export function full(shape: readonly number[], value: number, opts: { requiresGrad?: boolean } = {}): Tensor {
  const t = Tensor.empty(shape, opts.requiresGrad ?? false);
  t.data().fill(value);
  return t;
}

export function zeros(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  return full(shape, 1, opts);
}
