// Layer specs: a library layer remembers its constructor arguments, so a model built from library
// layers (an nn.Sequential of them, nested at will) serialises to plain JSON that data-parallel
// workers and checkpoints rebuild. A registry maps type names to classes. Tests: test/nn/spec.test.ts.

import { Module } from './module.js';

/** A library layer and its constructor arguments; a Module argument is `{ module: spec }`. */
export interface ModuleSpec {
  type: string;
  args: SpecValue[];
}

export type SpecValue =
  | number
  | string
  | boolean
  | null
  | SpecValue[]
  | { module: ModuleSpec }
  | { [key: string]: SpecValue };

type LayerClass = abstract new (...args: never[]) => Module;

const classes = new Map<string, LayerClass>();
const names = new Map<LayerClass, string>();
const recorded = new WeakMap<Module, readonly unknown[]>();

/** Makes `type` name cls in specs. Only exact instances of cls get a spec (a subclass may
 * change forward or add state, so it has none unless it registers itself). */
export function registerLayer(type: string, cls: LayerClass): void {
  const known = classes.get(type);
  if (known && known !== cls)
    throw new Error(`registerLayer: '${type}' already names another class`);
  classes.set(type, cls);
  names.set(cls, type);
}

/** Called by a layer's constructor with its arguments (before any default is applied, or after:
 * either rebuilds the same layer). */
export function recordArgs(m: Module, args: readonly unknown[]): void {
  recorded.set(m, args);
}

function encode(v: unknown): SpecValue | undefined {
  if (v === undefined) return null;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v instanceof Module) {
    const s = moduleSpec(v);
    return s ? { module: s } : undefined;
  }
  if (Array.isArray(v)) {
    const out: SpecValue[] = [];
    for (const x of v) {
      const e = encode(x);
      if (e === undefined) return undefined;
      out.push(e);
    }
    return out;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: { [key: string]: SpecValue } = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const e = encode(x);
      if (e === undefined) return undefined;
      out[k] = e;
    }
    return out;
  }
  return undefined;
}

/**
 * The spec of m when it is a registered library layer whose arguments are plain data or such
 * layers (an nn.Sequential of library layers, a zoo model); null otherwise (a custom class).
 *
 * @example
 * moduleSpec(new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 10)))
 * // { type: 'Sequential', args: [{ module: { type: 'Flatten', args: [1, -1] } }, ...] }
 */
export function moduleSpec(m: Module): ModuleSpec | null {
  const type = names.get(m.constructor as LayerClass);
  if (!type) return null;
  const args = encode(recorded.get(m) ?? []);
  return args === undefined ? null : { type, args: args as SpecValue[] };
}

function decode(v: SpecValue, where: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => decode(x, `${where}[${i}]`));
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (
      keys.length === 1 &&
      keys[0] === 'module' &&
      typeof v.module === 'object' &&
      v.module !== null &&
      'type' in v.module
    ) {
      return buildModule(v.module as ModuleSpec, where);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decode(x as SpecValue, `${where}.${k}`);
    return out;
  }
  return v;
}

/** The layer a spec describes, with fresh parameters (load a state dict into it for values). */
export function buildModule(spec: ModuleSpec, where = 'spec'): Module {
  if (!spec || typeof spec.type !== 'string' || !Array.isArray(spec.args)) {
    throw new TypeError(`buildModule: ${where} is not a layer spec ({ type, args })`);
  }
  const cls = classes.get(spec.type);
  if (!cls) {
    throw new Error(
      `buildModule: ${where} names unknown layer type '${spec.type}'; known: ` +
        [...classes.keys()].join(', ')
    );
  }
  const args = spec.args.map((a, i) => decode(a, `${where}.${spec.type}.args[${i}]`));
  return new (cls as unknown as new (...a: unknown[]) => Module)(...args);
}

/** Names of the registered layer types. */
export function layerTypes(): string[] {
  return [...classes.keys()];
}
