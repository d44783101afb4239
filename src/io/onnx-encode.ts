// An ONNX ModelProto as protobuf bytes, written here rather than by a protobuf library (none is
// loaded or installed with the package): only the fields exportOnnx fills, under the field
// numbers of the official onnx.proto (test/io/onnx.proto). Tests: test/io/onnx.test.ts decodes
// the bytes with protobufjs and that schema, and runs them in ONNX Runtime.

export interface OnnxAttribute {
  name: string;
  /** AttributeProto.AttributeType: 1 FLOAT, 2 INT, 3 STRING, 7 INTS. */
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** TensorProto.DataType: 1 FLOAT, 7 INT64. */
  dataType: number;
  rawData: Uint8Array;
}

/** A graph input or output: a tensor of elemType whose dims are sizes or symbolic names. */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: ({ dimValue: number } | { dimParam: string })[];
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  opsetImport: { domain: string; version: number }[];
  graph: OnnxGraph;
}

const utf8 = new TextEncoder();

/**
 * Protobuf wire format into a list of chunks: a nested message is written as its own Writer and
 * appended after its length, so large raw data is copied once, by finish().
 */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];
  size = 0;

  private byte(b: number): void {
    this.pending.push(b);
    this.size++;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }

  private append(bytes: Uint8Array): void {
    this.flush();
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  /** A non-negative integer below 2^53. */
  private varint(v: number): void {
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** int32, int64 or enum: a negative value is its 64-bit two's complement (10 bytes). */
  int(field: number, v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`ONNX encoding: ${v} is not an integer`);
    this.tag(field, 0);
    if (v >= 0) {
      this.varint(v);
      return this;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.byte(x);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.append(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, m: Writer): this {
    this.tag(field, 2);
    this.varint(m.size);
    m.flush();
    this.flush();
    this.parts.push(...m.parts);
    this.size += m.size;
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function attribute(a: OnnxAttribute): Writer {
  const w = new Writer().string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int(3, a.i);
  if (a.s !== undefined) w.bytes(4, a.s);
  for (const v of a.ints ?? []) w.int(8, v);
  return w.int(20, a.type);
}

function node(n: OnnxNode): Writer {
  const w = new Writer();
  for (const s of n.input) w.string(1, s);
  for (const s of n.output) w.string(2, s);
  w.string(3, n.name).string(4, n.opType);
  for (const a of n.attribute) w.message(5, attribute(a));
  return w;
}

function tensor(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  return w.int(2, t.dataType).string(8, t.name).bytes(9, t.rawData);
}

function valueInfo(v: OnnxValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    shape.message(
      1,
      'dimParam' in d ? new Writer().string(2, d.dimParam) : new Writer().int(1, d.dimValue)
    );
  }
  const tensorType = new Writer().int(1, v.elemType).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

/** The bytes of model as a ModelProto. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const g = model.graph;
  const graph = new Writer();
  for (const n of g.node) graph.message(1, node(n));
  graph.string(2, g.name);
  for (const t of g.initializer) graph.message(5, tensor(t));
  for (const v of g.input) graph.message(11, valueInfo(v));
  for (const v of g.output) graph.message(12, valueInfo(v));
  const w = new Writer().int(1, model.irVersion).string(2, model.producerName).message(7, graph);
  for (const o of model.opsetImport)
    w.message(8, new Writer().string(1, o.domain).int(2, o.version));
  return w.finish();
}
