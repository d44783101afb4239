// Module: parameters + forward, as torch.nn.Module. Submodules and parameters assigned to fields
// register under the field's name (camelCase turned into PyTorch's snake_case) in assignment
// order (what PyTorch's __setattr__ does), so a class written like its PyTorch twin has the same
// state-dict keys ("conv1.weight", "layer1.0.bn1.running_mean"); registerModule /
// registerParameter / registerBuffer name them verbatim. Tests: test/nn/module.test.ts.

import { Tensor, fmtShape, inModule } from '../tensor/tensor.js';

const parameterTensors = new WeakSet<Tensor>();
// Buffers registered with a dtype tag: the values are held as f32 like every tensor, but saved
// as the dtype PyTorch keeps them in (BatchNorm's num_batches_tracked is int64, and PyTorch's
// load_state_dict refuses a float one), so stateDict() entries say which.
const stateDtypes = new WeakMap<Tensor, string>();

/** A field's registered name: camelCase becomes PyTorch's snake_case (fcTied -> fc_tied,
 * runningMean -> running_mean, SEBlock -> se_block); snake_case stays as it is. */
export function snakeCase(field: string): string {
  return field
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function markParameter(t: Tensor, requiresGrad: boolean): void {
  if (!(t instanceof Tensor))
    throw new TypeError(`nn.Parameter: data must be a Tensor, got ${String(t)}`);
  t.requiresGrad = requiresGrad;
  t.keep();
  parameterTensors.add(t);
}

/**
 * Marks a tensor as a parameter (as torch.nn.Parameter): assigned to a module field, it is
 * registered under the field's name. `new nn.Parameter(t)` returns t itself, marked.
 *
 *   this.scale = new nn.Parameter(ones([1]));
 */
export interface Parameter extends Tensor {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: `new Parameter` is typed a Tensor
export class Parameter {
  constructor(data: Tensor, requiresGrad = true) {
    markParameter(data, requiresGrad);
    // biome-ignore lint/correctness/noConstructorReturn: a Parameter is the tensor itself, marked
    return data as Parameter;
  }

  static [Symbol.hasInstance](x: unknown): boolean {
    return x instanceof Tensor && parameterTensors.has(x);
  }
}

/** A state-dict entry: shape and values (integer state such as num_batches_tracked included). */
export interface StateEntry {
  shape: readonly number[];
  data: ArrayLike<number>;
  dtype?: string;
}

export abstract class Module {
  training = true;
  // Registered entries; fields assigned since the last look are folded in by sync(), in the
  // order Object.keys gives (assignment order), after explicitly registered ones made before.
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _modules = new Map<string, Module | null>();
  /** Names that came from fields (re-assignment replaces them; explicit names stay). */
  private readonly fieldNames = new Set<string>();

  /** The computation; called through the module (model.forward(x) or model.call(x)). */
  // biome-ignore lint/suspicious/noExplicitAny: each model declares its own forward signature
  abstract forward(...inputs: any[]): any;

  constructor() {
    // forward runs inside inModule, so what it makes in between is known to be intermediate
    // (backward frees it) and what the outermost call returns belongs to the caller.
    const forward = this.forward as (...inputs: unknown[]) => unknown;
    if (typeof forward === 'function') {
      Object.defineProperty(this, 'forward', {
        value: (...inputs: unknown[]) => inModule(() => forward.apply(this, inputs)),
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
  }

  /** Folds modules and parameters assigned to fields into the registries. */
  private sync(): void {
    for (const field of Object.keys(this)) {
      const v = (this as Record<string, unknown>)[field];
      if (typeof v !== 'object') continue;
      const key = snakeCase(field);
      if (v instanceof Module) {
        if (v === this) continue;
        if (this._modules.get(key) === v) continue;
        if (!this._modules.has(key) || this.fieldNames.has(key)) {
          if (!this.isRegisteredChild(v)) {
            this._modules.set(key, v);
            this.fieldNames.add(key);
          }
        }
      } else if (v instanceof Tensor && parameterTensors.has(v)) {
        if (this._parameters.get(key) === v) continue;
        if (!this._parameters.has(key) || this.fieldNames.has(key)) {
          if (!this.isRegisteredParam(v)) {
            this._parameters.set(key, v);
            this.fieldNames.add(key);
          }
        }
      } else if (this.fieldNames.has(key) && (v === null || v === undefined)) {
        // As PyTorch: setting a registered name to None keeps the slot, empty.
        if (this._modules.has(key)) this._modules.set(key, null);
        if (this._parameters.has(key)) this._parameters.set(key, null);
      }
    }
  }

  private isRegisteredChild(m: Module): boolean {
    for (const [n, c] of this._modules) if (c === m && !this.fieldNames.has(n)) return true;
    return false;
  }

  private isRegisteredParam(t: Tensor): boolean {
    for (const [n, p] of this._parameters) if (p === t && !this.fieldNames.has(n)) return true;
    return false;
  }

  private static checkName(kind: string, name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new TypeError(
        `${kind}: name must be a non-empty string without '.', got ${String(name)}`
      );
    }
  }

  /** Registers a trainable tensor under name (kept out of tidy scopes); null registers none. */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    Module.checkName('registerParameter', name);
    this.sync();
    if (t !== null) markParameter(t, true);
    this._parameters.set(name, t);
    return t;
  }

  /** Registers non-trainable state saved in the state dict (batch norm's running statistics);
   * opts.dtype: the safetensors dtype it is saved as (e.g. 'I64' for integer counters). */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts: { dtype?: string } = {}): T {
    Module.checkName('registerBuffer', name);
    this.sync();
    t?.keep();
    if (t && opts.dtype) stateDtypes.set(t, opts.dtype);
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a submodule under name (null registers an empty slot). */
  registerModule<M extends Module | null>(name: string, m: M): M {
    Module.checkName('registerModule', name);
    if (m !== null && !(m instanceof Module)) {
      throw new TypeError(`registerModule: ${name} must be a Module, got ${String(m)}`);
    }
    this.sync();
    this._modules.set(name, m);
    return m;
  }

  /** Direct submodules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    this.sync();
    const out: [string, Module][] = [];
    for (const [n, m] of this._modules) if (m) out.push([n, m]);
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every submodule, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.namedChildren())
      out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Calls fn on every submodule, then on this one (as PyTorch's apply). */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Every buffer, depth first, with PyTorch-style dotted names. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    this.sync();
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._buffers) if (t) out.push([prefix + n, t]);
    for (const [n, m] of this.namedChildren()) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  buffersList(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Every trainable tensor once, in registration order (depth first). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters with dotted names; a parameter shared by two modules is listed once. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.allNamedParameters(prefix)) {
      if (seen.has(t)) continue;
      seen.add(t);
      out.push([n, t]);
    }
    return out;
  }

  private allNamedParameters(prefix: string): [string, Tensor][] {
    this.sync();
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._parameters) if (t) out.push([prefix + n, t]);
    for (const [n, m] of this.namedChildren()) out.push(...m.allNamedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Switches this module and its children to training mode (dropout on, batch statistics). */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's gradient to null (as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameter and buffer name -> a copy of its values and shape, in PyTorch's order; integer
   * state (num_batches_tracked) carries the dtype it is saved as. */
  stateDict(): Record<string, { shape: number[]; data: Float32Array; dtype?: string }> {
    const out: Record<string, { shape: number[]; data: Float32Array; dtype?: string }> = {};
    for (const [n, t] of this.namedState()) {
      const dtype = stateDtypes.get(t);
      out[n] = { shape: [...t.shape], data: t.toFloat32Array(), ...(dtype ? { dtype } : {}) };
    }
    return out;
  }

  /** Parameters then buffers of each module, then its children: PyTorch's state-dict order. */
  namedState(prefix = ''): [string, Tensor][] {
    this.sync();
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._parameters) if (t) out.push([prefix + n, t]);
    for (const [n, t] of this._buffers) if (t) out.push([prefix + n, t]);
    for (const [n, m] of this.namedChildren()) out.push(...m.namedState(`${prefix}${n}.`));
    return out;
  }

  /**
   * Copies values in. strict (default, as PyTorch): every key present, none unexpected, else
   * an error listing them; strict false loads what matches and returns the missing and
   * unexpected keys. A shape or value-count mismatch is an error either way, and nothing is
   * written unless every entry checks out.
   */
  loadStateDict(
    sd: Record<string, StateEntry>,
    opts: { strict?: boolean } = {}
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    if (!sd || typeof sd !== 'object')
      throw new TypeError(`loadStateDict: expected an object of {shape, data}, got ${String(sd)}`);
    const strict = opts.strict ?? true;
    const named = this.namedState();
    const missingKeys = named.filter(([n]) => !(n in sd)).map(([n]) => n);
    const known = new Set(named.map(([n]) => n));
    const unexpectedKeys = Object.keys(sd).filter((n) => !known.has(n) && n !== '__metadata__');
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(
        `loadStateDict: missing keys [${missingKeys.join(', ')}], unexpected keys [${unexpectedKeys.join(', ')}]`
      );
    }
    const todo: [Tensor, ArrayLike<number>][] = [];
    for (const [n, t] of named) {
      const e = sd[n];
      if (!e) continue;
      if (!e.shape || !e.data) throw new TypeError(`loadStateDict: ${n} must be {shape, data}`);
      if (e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
        throw new RangeError(
          `loadStateDict: ${n} has shape ${fmtShape(e.shape)}, the model expects ${fmtShape(t.shape)}`
        );
      }
      if (e.data.length !== t.size) {
        throw new RangeError(
          `loadStateDict: ${n} has ${e.data.length} values, its shape ${fmtShape(t.shape)} needs ${t.size}`
        );
      }
      todo.push([t, e.data]);
    }
    for (const [t, data] of todo) t.rawData().set(data);
    return { missingKeys, unexpectedKeys };
  }

  /** Calls forward (so a module reads like a function, as in PyTorch). */
  // biome-ignore lint/suspicious/noExplicitAny: as for forward
  call(...inputs: any[]): any {
    return this.forward(...inputs);
  }

  /** Frees every parameter, gradient and buffer (the module is unusable afterwards). */
  dispose(): void {
    for (const [, t] of this.namedState()) {
      t.grad?.dispose();
      t.grad = null;
      t.dispose();
    }
  }

  numParameters(): number {
    return this.parameters().reduce((a, t) => a + t.size, 0);
  }

  toString(): string {
    return this.constructor.name;
  }
}

/** Returns its input (as torch.nn.Identity); arguments are accepted and ignored. */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Holds submodules in a list, named "0", "1", ... (as torch.nn.ModuleList); has no forward. */
export class ModuleList extends Module {
  private readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: Module): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** The i-th module; negative i counts from the end. */
  at(i: number): Module {
    const j = i < 0 ? i + this.items.length : i;
    if (!Number.isInteger(j) || j < 0 || j >= this.items.length) {
      throw new RangeError(`ModuleList: index ${i} out of range for ${this.items.length} modules`);
    }
    return this.items[j];
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  forward(): never {
    throw new Error("ModuleList has no forward; iterate over it in your module's forward");
  }
}

/** Holds submodules by name (as torch.nn.ModuleDict), in insertion order; has no forward. */
export class ModuleDict extends Module {
  private readonly items = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries =
      Symbol.iterator in Object(modules)
        ? [...(modules as Iterable<[string, Module]>)]
        : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  set(key: string, m: Module): this {
    this.registerModule(key, m);
    this.items.set(key, m);
    return this;
  }

  get(key: string): Module {
    const m = this.items.get(key);
    if (!m)
      throw new RangeError(
        `ModuleDict: no module '${key}'; keys: ${[...this.items.keys()].join(', ')}`
      );
    return m;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  values(): Module[] {
    return [...this.items.values()];
  }

  entries(): [string, Module][] {
    return [...this.items.entries()];
  }

  get size(): number {
    return this.items.size;
  }

  forward(): never {
    throw new Error("ModuleDict has no forward; call its modules in your module's forward");
  }
}
