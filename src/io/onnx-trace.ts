// Tracing a model for export: one eval-mode forward under noGrad with the autograd's tracer set
// (every op reports its output, inputs and attributes), giving a list of op nodes over values:
// the graph input, op outputs and constants (parameters, buffers, numbers), each with its module
// path. For a dynamic batch the model is traced at two batch sizes and the traces compared.
// Tests: test/io/onnx.test.ts.

import { noGrad, setTracer, type OpAttrs } from '../autograd/tape.js';
import type { Module } from '../nn/module.js';
import { Tensor, fmtShape, tensor, tidy } from '../tensor/tensor.js';

/** A tensor of a trace: the graph input, an op's output, or a constant with its values. */
export interface TraceValue {
  kind: 'input' | 'op' | 'const';
  shape: readonly number[];
  /** Constants made in the forward (numbers, temporaries): a copy of the values when the op ran. */
  data?: Float32Array;
  /** Constants that are a parameter or buffer of the model: its state-dict name and the tensor
   * (read when the file is written; eval-mode forwards leave them as they are). */
  name?: string;
  source?: Tensor;
  /** Dims that change with the batch size (found by comparing two traces). */
  dynamic: boolean[];
}

/** A tensor an op takes in its attributes (batch norm's running statistics, embedding indices). */
export class ValueRef {
  constructor(readonly id: number) {}
}

export interface TraceNode {
  op: string;
  inputs: (number | null)[];
  output: number;
  /** The op's attributes; tensors in them are ValueRefs. */
  attrs: Record<string, unknown>;
  /** The dotted module path of the innermost module running ('' for the model itself). */
  path: string;
  /** The class of that module. */
  moduleType: string;
}

export interface Trace {
  values: TraceValue[];
  nodes: TraceNode[];
  input: number;
  outputs: number[];
}

/** Where an op ran, for messages: "op 'amax' in module '3.body' (Sequential)". */
export function where(n: TraceNode): string {
  return n.path
    ? `op '${n.op}' in module '${n.path}' (${n.moduleType})`
    : `op '${n.op}' in the model's own forward (${n.moduleType})`;
}

class Recorder {
  readonly values: TraceValue[] = [];
  readonly nodes: TraceNode[] = [];
  private readonly ids = new Map<Tensor, number>();
  /** Traced tensors by storage address: an untraced tensor sharing one is a view (detach()). */
  private readonly byPtr = new Map<number, Tensor[]>();
  readonly stack: [string, string][] = [];

  constructor(private readonly names: Map<Tensor, string>) {}

  add(t: Tensor, v: Omit<TraceValue, 'dynamic'>): number {
    const id = this.values.length;
    this.values.push({ ...v, shape: [...v.shape], dynamic: v.shape.map(() => false) });
    this.ids.set(t, id);
    if (v.kind !== 'const' && t.size > 0) {
      const list = this.byPtr.get(t.buf.ptr) ?? [];
      list.push(t);
      this.byPtr.set(t.buf.ptr, list);
    }
    return id;
  }

  private node(
    op: string,
    inputs: (number | null)[],
    output: number,
    attrs: Record<string, unknown>
  ): void {
    const [path, moduleType] = this.stack[this.stack.length - 1] ?? ['', 'Module'];
    this.nodes.push({ op, inputs, output, attrs, path, moduleType });
  }

  valueOf(t: Tensor): number {
    const known = this.ids.get(t);
    if (known !== undefined) return known;
    if (t.size > 0) {
      const base = this.byPtr.get(t.buf.ptr)?.find((s) => !s.disposed && s.size === t.size);
      if (base) {
        const id = this.add(t, { kind: 'op', shape: t.shape });
        this.node('reshape', [this.valueOf(base)], id, {});
        return id;
      }
    }
    const name = this.names.get(t);
    if (name !== undefined) return this.add(t, { kind: 'const', shape: t.shape, name, source: t });
    return this.add(t, { kind: 'const', shape: t.shape, data: t.toFloat32Array() });
  }

  record(
    out: Tensor,
    op: string,
    inputs: readonly (Tensor | null)[],
    attrs: OpAttrs | undefined
  ): void {
    const ins = inputs.map((t) => (t ? this.valueOf(t) : null));
    const a: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(attrs ?? {})) {
      a[k] = v instanceof Tensor ? new ValueRef(this.valueOf(v)) : v;
    }
    const id = this.add(out, { kind: 'op', shape: out.shape });
    this.node(op, ins, id, a);
  }
}

function collectOutputs(y: unknown, into: Tensor[]): void {
  if (y instanceof Tensor) {
    into.push(y);
  } else if (Array.isArray(y)) {
    y.forEach((v) => collectOutputs(v, into));
  } else {
    throw new TypeError(
      `exportOnnx: the model's forward must return a Tensor or an array of ` +
        `Tensors, got ${String(y)}`
    );
  }
}

/** Runs model.forward(x) in eval mode under noGrad with every op recorded. */
export function traceModel(model: Module, x: Tensor): Trace {
  // A module used at two places runs under the first path it is registered at.
  const seen = new Set<Module>();
  const modules = model.namedModules().filter(([, m]) => !seen.has(m) && seen.add(m));
  const training = modules.map(([, m]) => m.training);
  const names = new Map<Tensor, string>();
  for (const [n, t] of model.namedState()) if (!names.has(t)) names.set(t, n);
  const rec = new Recorder(names);
  const forwards = modules.map(([path, m]) => {
    const own = Object.getOwnPropertyDescriptor(m, 'forward');
    const fwd = m.forward as (...a: unknown[]) => unknown;
    (m as { forward: unknown }).forward = (...a: unknown[]): unknown => {
      rec.stack.push([path, m.constructor.name]);
      try {
        return fwd.apply(m, a);
      } finally {
        rec.stack.pop();
      }
    };
    return [m, own] as const;
  });
  model.eval();
  const prev = setTracer((out, op, inputs, attrs) => rec.record(out, op, inputs, attrs));
  try {
    return tidy(() =>
      noGrad(() => {
        const input = rec.add(x, { kind: 'input', shape: x.shape });
        const outs: Tensor[] = [];
        collectOutputs(model.forward(x), outs);
        if (outs.length === 0) throw new TypeError('exportOnnx: the model returned no tensors');
        return {
          values: rec.values,
          nodes: rec.nodes,
          input,
          outputs: outs.map((t) => rec.valueOf(t)),
        };
      })
    );
  } finally {
    setTracer(prev);
    for (const [m, own] of forwards) {
      if (own) Object.defineProperty(m, 'forward', own);
      else delete (m as { forward?: unknown }).forward;
    }
    modules.forEach(([, m], i) => {
      m.training = training[i];
    });
  }
}

/** The example with its rows reversed and the first appended: batch n + 1, other values, so
 * anything computed from the input outside the recorded ops shows as a changed constant. */
function otherBatch(x: Tensor): Tensor {
  const n = x.shape[0];
  const row = x.size / n;
  const src = x.toFloat32Array();
  const out = new Float32Array(src.length + row);
  for (let i = 0; i < n; i++) out.set(src.subarray((n - 1 - i) * row, (n - i) * row), i * row);
  out.set(src.subarray(0, row), n * row);
  return tensor(out, [n + 1, ...x.shape.slice(1)]);
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

/**
 * Traces model at x's batch size and, when dynamicBatch, at another: the ops must be the same,
 * the constants equal; dims that differ are marked dynamic (they follow the batch size).
 */
export function traceForExport(model: Module, x: Tensor, dynamicBatch: boolean): Trace {
  const a = traceModel(model, x);
  if (!dynamicBatch) return a;
  if (x.ndim === 0 || x.shape[0] === 0) {
    throw new RangeError(
      'exportOnnx: a dynamic batch needs an example input with a batch dim; ' +
        'pass { dynamicBatch: false }'
    );
  }
  const x2 = otherBatch(x);
  let b: Trace;
  try {
    b = traceModel(model, x2);
  } finally {
    x2.dispose();
  }
  const n1 = x.shape[0];
  const n2 = n1 + 1;
  const hint = 'pass { dynamicBatch: false } to export for this batch size only';
  const diverge = (i: number, what: string): Error =>
    new Error(
      'exportOnnx: the model runs other ' +
        `ops at batch ${n2} than at batch ${n1} (${what}, at node ${i}: ` +
        `${a.nodes[i] ? where(a.nodes[i]) : 'the end'}); ${hint}`
    );
  if (a.values.length !== b.values.length) {
    const i = a.nodes.findIndex((n, k) => b.nodes[k]?.op !== n.op);
    const at = i < 0 ? Math.min(a.nodes.length, b.nodes.length) : i;
    throw diverge(at, 'a different number of ops or tensors');
  }
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i];
    if (!m || m.op !== n.op || m.output !== n.output || m.inputs.join() !== n.inputs.join()) {
      throw diverge(i, `'${n.op}' vs '${m?.op}'`);
    }
  });
  const users = new Map<number, TraceNode>();
  for (const n of a.nodes)
    for (const id of n.inputs) if (id !== null && !users.has(id)) users.set(id, n);
  a.values.forEach((v, id) => {
    const w = b.values[id];
    const user = users.get(id);
    const at = user ? ` (used by ${where(user)})` : '';
    if (w.kind !== v.kind || w.shape.length !== v.shape.length) {
      throw new Error(
        `exportOnnx: tensor ${fmtShape(v.shape)}${at} has another rank or origin ` +
          `at batch ${n2}; ${hint}`
      );
    }
    const same = (): boolean =>
      v.name !== undefined ? v.name === w.name : w.name === undefined && sameData(v.data!, w.data!);
    if (v.kind === 'const' && (w.shape.join() !== v.shape.join() || !same())) {
      throw new Error(
        `exportOnnx: constant ${v.name ?? fmtShape(v.shape)}${at} changes with the input: ` +
          'it is computed from the input outside the recorded ops (from x.data(), x.shape or ' +
          `untraced code); build it with tensor ops, or ${hint}`
      );
    }
    v.dynamic = v.shape.map((d, k) => d !== w.shape[k]);
  });
  a.values[a.input].dynamic = a.values[a.input].shape.map((_, k) => k === 0);
  return a;
}
