// exportOnnx: a model traced once (onnx-trace.ts), its ops turned into ONNX nodes
// (onnx-ops.ts), its parameters and buffers written as initializers, encoded as a ModelProto
// (onnx-encode.ts). Tests: test/io/onnx.test.ts (ONNX Runtime).

import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import {
  encodeOnnxModel,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-encode.js';
import { CONVERTERS, type Attr, type Ctx } from './onnx-ops.js';
import { ValueRef, traceForExport, where, type Trace, type TraceNode } from './onnx-trace.js';

export interface ExportOnnxOptions {
  /** ONNX opset, 17 to 21 (default 17: ONNX Runtime 1.12+, PyTorch's exporter's default era). */
  opset?: number;
  /** Dim 0 of the input (and what follows it) is a symbolic 'batch' (default true). */
  dynamicBatch?: boolean;
  /** The graph input's name (default ['input']). */
  inputNames?: readonly string[];
  /** The graph outputs' names (default ['output'], or output0, output1, ... for several). */
  outputNames?: readonly string[];
}

const IR_VERSION: Record<number, number> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

function attribute(name: string, v: Attr): OnnxAttribute {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (Array.isArray(v)) return { name, type: 7, ints: [...v] };
  if ('f' in (v as object)) return { name, type: 1, f: (v as { f: number }).f };
  return { name, type: 3, s: new TextEncoder().encode((v as { s: string }).s) };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** Turns a trace into ONNX nodes and initializers. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names: string[];
  private readonly initialized = new Set<number>();
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private fresh = 0;

  constructor(
    private readonly trace: Trace,
    private readonly opset: number,
    inputName: string,
    outputNames: readonly string[]
  ) {
    this.names = trace.values.map((v, id) => (v.kind === 'const' && v.name ? v.name : `t${id}`));
    this.names[trace.input] = inputName;
    this.names.forEach((n) => this.used.add(n));
    for (const n of outputNames) this.used.add(n);
    // An op output that is a graph output gets the output's name (once; repeats get Identity).
    trace.outputs.forEach((id, i) => {
      if (trace.values[id].kind === 'op' && trace.outputs.indexOf(id) === i)
        this.names[id] = outputNames[i];
    });
  }

  private unique(base: string): string {
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.fresh}`;
    this.used.add(name);
    return name;
  }

  /** The name of value id, adding its initializer the first time a constant is used. */
  value(id: number): string {
    const v = this.trace.values[id];
    if (v.kind === 'const' && !this.initialized.has(id)) {
      this.initialized.add(id);
      const data = v.data ?? v.source!.rawData();
      this.initializers.push({
        name: this.names[id],
        dims: [...v.shape],
        dataType: 1,
        rawData: bytesOf(data),
      });
    }
    return this.names[id];
  }

  /** A new initializer; small ones (scalars, shapes) are shared between the nodes that use them. */
  constant(values: ArrayLike<number>, shape: readonly number[], int64: boolean): string {
    const key =
      values.length <= 16
        ? `${int64 ? 'i' : 'f'}[${shape.join()}]${Array.from(values).join()}`
        : null;
    const known = key !== null ? this.constants.get(key) : undefined;
    if (known) return known;
    const name = this.unique(int64 ? 'const_i64' : 'const');
    if (key !== null) this.constants.set(key, name);
    const raw = int64
      ? bytesOf(BigInt64Array.from(Array.from(values, (x) => BigInt(x))))
      : bytesOf(Float32Array.from(values));
    this.initializers.push({ name, dims: [...shape], dataType: int64 ? 7 : 1, rawData: raw });
    return name;
  }

  add(node: TraceNode): void {
    const convert = CONVERTERS[node.op];
    const fail = (why: string): never => {
      throw new Error(`exportOnnx: cannot export ${where(node)}: ${why}`);
    };
    if (!convert) {
      fail(
        `no ONNX mapping for '${node.op}' (exportable ops: ${Object.keys(CONVERTERS).join(', ')})`
      );
    }
    const prefix = node.path || 'model';
    const values = this.trace.values;
    const shapeOf = (i: number): TraceNodeValue => {
      const id = node.inputs[i];
      if (id === null || id === undefined) return fail(`input ${i} is missing`);
      return values[id];
    };
    const ctx: Ctx = {
      node,
      attrs: node.attrs,
      opset: this.opset,
      out: this.names[node.output],
      input: (i) => (node.inputs[i] === null ? '' : this.value(node.inputs[i]!)),
      has: (i) => node.inputs[i] !== null && node.inputs[i] !== undefined,
      shape: (i) => shapeOf(i).shape,
      dynamic: (i) => shapeOf(i).dynamic,
      outShape: values[node.output].shape,
      outDynamic: values[node.output].dynamic,
      ref: (r) => {
        if (!(r instanceof ValueRef)) return fail('a tensor attribute is missing');
        return this.value(r.id);
      },
      emit: (op, inputs, attrs = {}, output) => {
        const name = this.unique(`${prefix}/${op}`);
        const out = output ?? this.unique(`${name}_output`);
        this.nodes.push({
          name,
          opType: op,
          input: [...inputs],
          output: [out],
          attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
        });
        return out;
      },
      f32: (v, shape) => this.constant(v, shape ?? [v.length], false),
      i64: (v, shape) => this.constant(v, shape ?? [v.length], true),
      fail,
    };
    convert(ctx);
  }

  /** Identity nodes for graph outputs that are not an op's output under their name. */
  finish(outputNames: readonly string[]): void {
    this.trace.outputs.forEach((id, i) => {
      if (this.names[id] === outputNames[i]) return;
      this.nodes.push({
        name: this.unique(`output_${i}/Identity`),
        opType: 'Identity',
        input: [this.value(id)],
        output: [outputNames[i]],
        attribute: [],
      });
    });
  }
}

type TraceNodeValue = Trace['values'][number];

/** The nodes the outputs depend on, in trace order (what the forward computed and dropped, such
 * as the indices of max(dim) when only its values are used, is left out). */
function liveNodes(trace: Trace): TraceNode[] {
  const producer = new Map<number, TraceNode>();
  for (const n of trace.nodes) producer.set(n.output, n);
  const live = new Set<TraceNode>();
  const stack = [...trace.outputs];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const id of n.inputs) if (id !== null) stack.push(id);
    for (const v of Object.values(n.attrs)) if (v instanceof ValueRef) stack.push(v.id);
  }
  return trace.nodes.filter((n) => live.has(n));
}

function valueInfo(
  name: string,
  shape: readonly number[],
  dynamic: readonly boolean[]
): OnnxValueInfo {
  return {
    name,
    elemType: 1,
    dims: shape.map((d, i) => (dynamic[i] ? { dimParam: 'batch' } : { dimValue: d })),
  };
}

/**
 * The model as an ONNX file (the bytes of a ModelProto): one eval-mode forward of exampleInput
 * under noGrad is traced, each op becomes ONNX nodes, parameters and buffers become initializers
 * under their state-dict names. With dynamicBatch (default) dim 0 of the input is a symbolic
 * 'batch': the model is traced at two batch sizes and reshape targets use -1 for it. An op that
 * has no ONNX mapping throws, naming the op and the module it ran in.
 *
 * @example
 * const bytes = exportOnnx(model, randn([1, 1, 28, 28]));          // opset 17, any batch size
 * await fs.writeFile('model.onnx', bytes);
 */
export function exportOnnx(
  model: Module,
  exampleInput: Tensor,
  opts: ExportOnnxOptions = {}
): Uint8Array {
  if (!(model instanceof Module)) {
    throw new TypeError(`exportOnnx: model must be an nn.Module, got ${String(model)}`);
  }
  if (!(exampleInput instanceof Tensor)) {
    throw new TypeError(`exportOnnx: exampleInput must be a Tensor, got ${String(exampleInput)}`);
  }
  const opset = opts.opset ?? 17;
  if (!(opset in IR_VERSION)) {
    throw new RangeError(`exportOnnx: opset must be 17 to 21, got ${String(opset)}`);
  }
  const dynamicBatch = opts.dynamicBatch ?? true;
  const inputNames = opts.inputNames ?? ['input'];
  if (inputNames.length !== 1 || typeof inputNames[0] !== 'string' || inputNames[0] === '') {
    throw new RangeError(
      'exportOnnx: inputNames must hold one non-empty name (the model has one ' +
        `input), got [${inputNames.join(', ')}]`
    );
  }
  const trace = traceForExport(model, exampleInput, dynamicBatch);
  const n = trace.outputs.length;
  const outputNames =
    opts.outputNames ?? (n === 1 ? ['output'] : trace.outputs.map((_, i) => `output${i}`));
  if (
    outputNames.length !== n ||
    new Set([...outputNames, inputNames[0]]).size !== n + 1 ||
    outputNames.some((s) => typeof s !== 'string' || s === '')
  ) {
    throw new RangeError(
      `exportOnnx: outputNames must hold ${n} distinct non-empty names, other than ` +
        `the input's, for the model's ${n} output${n > 1 ? 's' : ''}; got [${outputNames.join(', ')}]`
    );
  }
  const g = new GraphBuilder(trace, opset, inputNames[0], outputNames);
  for (const node of liveNodes(trace)) g.add(node);
  g.finish(outputNames);
  const input = trace.values[trace.input];
  const graph = {
    name: model.constructor.name,
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo(inputNames[0], input.shape, input.dynamic)],
    output: trace.outputs.map((id, i) =>
      valueInfo(outputNames[i], trace.values[id].shape, trace.values[id].dynamic)
    ),
  };
  return encodeOnnxModel({
    irVersion: IR_VERSION[opset],
    producerName: 'simdgrad',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  });
}
