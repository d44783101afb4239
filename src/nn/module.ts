// Module: parameters + forward, with PyTorch's train()/eval(), parameters() and state dicts
// whose keys match PyTorch's ("0.weight", "3.bias", ...) so weights move between the two.

import { Tensor, fmtShape } from '../tensor/tensor.js';

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** Registers a trainable tensor under name (kept out of tidy scopes). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.keep();
    this.params.set(name, t);
    return t;
  }

  /** Registers non-trainable state saved in the state dict (batch norm's running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    t.keep();
    this.buffers.set(name, t);
    return t;
  }

  /** Every buffer, depth first, with PyTorch-style dotted names. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.buffers) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  protected registerModule(name: string, m: Module): void {
    this.children.set(name, m);
  }

  /** Every trainable tensor, in registration order (depth first). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Switches this module and its children to training mode (dropout on). */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameter and buffer name -> a copy of its values and shape. */
  stateDict(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [n, t] of this.namedState()) out[n] = { shape: [...t.shape], data: t.toFloat32Array() };
    return out;
  }

  /** Parameters then buffers, in PyTorch's state-dict order per module. */
  private namedState(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, t] of this.buffers) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedState(`${prefix}${n}.`));
    return out;
  }

  /** Copies values in; every parameter must be present with its shape (strict, as PyTorch). */
  loadStateDict(sd: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): void {
    const named = this.namedState();
    const missing = named.filter(([n]) => !(n in sd)).map(([n]) => n);
    const known = new Set(named.map(([n]) => n));
    const unexpected = Object.keys(sd).filter((n) => !known.has(n) && n !== '__metadata__');
    if (missing.length || unexpected.length) {
      throw new Error(`loadStateDict: missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]`);
    }
    for (const [n, t] of named) {
      const e = sd[n];
      if (e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
        throw new RangeError(`loadStateDict: ${n} has shape ${fmtShape(e.shape)}, the model expects ${fmtShape(t.shape)}`);
      }
      t.data().set(e.data);
    }
  }

  /** Calls forward (so a module reads like a function, as in PyTorch). */
  call(x: Tensor): Tensor {
    return this.forward(x);
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
