// The safetensors format (what PyTorch users exchange): u64 little-endian header length N, N bytes
// of JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}} padded
// with spaces to a multiple of 8, then the little-endian data, tensors back to back. Pure (bytes
// in, bytes out); files are src/io/safetensors-node.ts. Tests: test/io/safetensors.test.ts.

/** Floating-point dtypes: read converted to f32 (F32, F16, BF16 exactly; F64 rounded). */
export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';
/** Integer dtypes: read as exact numbers (I64/U64 up to 2^53), BOOL as 0/1. */
export type IntDtype = 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';
/** Every dtype this module reads and writes. */
export type SafetensorsDtype = FloatDtype | IntDtype;

/**
 * What serializeSafetensors writes: row-major values of `shape`, stored as `dtype` (default
 * F32). Values are converted: F16/BF16 round to nearest even (as PyTorch's .half() and
 * .bfloat16()); integer dtypes need integers within the dtype's range.
 */
export interface TensorData {
  shape: readonly number[];
  data: ArrayLike<number>;
  /** A SafetensorsDtype; plain string so a model's stateDict() entries fit (checked here). */
  dtype?: string;
}

/** The F32 case of TensorData (kept for existing callers). */
export type TensorF32 = TensorData;

/** A tensor read back (a fresh copy): floats as f32, integers as exact numbers, with the dtype
 * as stored so that writing it back keeps it (PyTorch's int64 num_batches_tracked stays I64). */
export type LoadedTensor =
  | { dtype: FloatDtype; shape: number[]; data: Float32Array }
  | { dtype: IntDtype; shape: number[]; data: Float64Array };

export interface SafetensorsContents {
  /** In file (offset) order. */
  tensors: Record<string, LoadedTensor>;
  metadata: Record<string, string>;
}

// Bytes per element, and rank: the position in the reference implementation's Dtype enum
// (safetensors/src/tensor.rs, "increasing alignment order"); its writer orders tensors by
// descending rank, then by name, and so does ours.
const DTYPES: Record<SafetensorsDtype, { size: number; rank: number }> = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 1 },
  I8: { size: 1, rank: 2 },
  I16: { size: 2, rank: 3 },
  U16: { size: 2, rank: 4 },
  F16: { size: 2, rank: 5 },
  BF16: { size: 2, rank: 6 },
  I32: { size: 4, rank: 7 },
  U32: { size: 4, rank: 8 },
  F32: { size: 4, rank: 9 },
  F64: { size: 8, rank: 10 },
  I64: { size: 8, rank: 11 },
  U64: { size: 8, rank: 12 },
};
const isDtype = (d: unknown): d is SafetensorsDtype =>
  typeof d === 'string' && Object.hasOwn(DTYPES, d);
const isFloat = (d: SafetensorsDtype): d is FloatDtype =>
  d === 'F32' || d === 'F16' || d === 'BF16' || d === 'F64';
// Integer ranges as numbers; I64/U64 are further limited to what a number holds exactly.
const INT_RANGE: Record<IntDtype, [number, number]> = {
  BOOL: [0, 1],
  U8: [0, 255],
  I8: [-128, 127],
  U16: [0, 65535],
  I16: [-32768, 32767],
  U32: [0, 4294967295],
  I32: [-2147483648, 2147483647],
  U64: [0, Number.MAX_SAFE_INTEGER],
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
// The other dtypes of the format, so the error can tell "unsupported here" from "not a dtype".
const OTHER_DTYPES = ['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64'];
const READ_LIST = Object.keys(DTYPES).join(', ');
/** The reference implementation refuses longer headers; so do we (and so never allocate one). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const encoder = new TextEncoder();

function utf8Compare(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

const fmtShape = (s: readonly number[]): string => `[${s.join(',')}]`;
const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** f32 -> binary16 bits, round to nearest even, overflow to Inf (as PyTorch's c10
 * fp16_ieee_from_fp32_value); NaN to 0x7e00 (a JS number does not reliably keep a NaN's sign). */
function toHalfBits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  // 65520 is halfway between 65504 (the largest half) and 65536: it and above round to Inf.
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  // The carry out of a mantissa of all ones lands in the exponent field: still the right bits.
  const m = roundEven((a / 2 ** e) * 1024) - 1024;
  return sign | (((e + 15) << 10) + m);
}

function roundEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

const f32Bits = new Uint32Array(1);
const f32View = new Float32Array(f32Bits.buffer);

/** f32 -> bfloat16 bits, round to nearest even, NaN to 0x7fc0 (as PyTorch's c10 BFloat16). */
function toBf16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7fc0;
  f32View[0] = v;
  const u = f32Bits[0];
  return Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 65536) & 0xffff;
}

function checkDtype(label: string, dtype: unknown): SafetensorsDtype {
  if (dtype === undefined) return 'F32';
  if (!isDtype(dtype)) {
    throw new Error(`${label}: dtype must be one of ${READ_LIST}, got ${JSON.stringify(dtype)}`);
  }
  return dtype;
}

// Writes `data` as dtype at byte `at` of `view`; integers are checked before anything is written.
function encode(
  view: DataView,
  out: Uint8Array,
  at: number,
  dtype: SafetensorsDtype,
  data: ArrayLike<number>,
  label: string
): void {
  const n = data.length;
  if (!isFloat(dtype)) {
    const [lo, hi] = INT_RANGE[dtype];
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw new Error(
          `${label}: element ${i} (${v}) is not an integer in the ${dtype} range ` +
            `[${lo}, ${hi}]`
        );
      }
    }
  }
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN && data instanceof Float32Array) {
        out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
      } else {
        for (let i = 0; i < n; i++) view.setFloat32(at + 4 * i, data[i], true);
      }
      break;
    case 'F64':
      for (let i = 0; i < n; i++) view.setFloat64(at + 8 * i, data[i], true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++)
        view.setUint16(at + 2 * i, toHalfBits(Math.fround(data[i])), true);
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) view.setUint16(at + 2 * i, toBf16Bits(data[i]), true);
      break;
    case 'BOOL':
    case 'U8':
      for (let i = 0; i < n; i++) view.setUint8(at + i, data[i]);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) view.setInt8(at + i, data[i]);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) view.setInt16(at + 2 * i, data[i], true);
      break;
    case 'U16':
      for (let i = 0; i < n; i++) view.setUint16(at + 2 * i, data[i], true);
      break;
    case 'I32':
      for (let i = 0; i < n; i++) view.setInt32(at + 4 * i, data[i], true);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) view.setUint32(at + 4 * i, data[i], true);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) view.setBigInt64(at + 8 * i, BigInt(data[i]), true);
      break;
    case 'U64':
      for (let i = 0; i < n; i++) view.setBigUint64(at + 8 * i, BigInt(data[i]), true);
      break;
  }
}

/**
 * A safetensors file holding `tensors` (each as its dtype, F32 by default) with `metadata` as
 * "__metadata__" (written first, keys sorted) when given. Tensors are laid out as the reference
 * writer (huggingface/safetensors serialize, which safetensors.torch.save_file calls) lays them
 * out: by descending dtype alignment, then by name in UTF-8 byte order; the output is
 * byte-identical to it for the same tensors.
 *
 * @example
 * const bytes = serializeSafetensors(model.stateDict(), { format: 'pt' });
 * // num_batches_tracked entries carry dtype 'I64', as PyTorch's load_state_dict expects
 */
export function serializeSafetensors(
  tensors: Record<string, TensorData>,
  metadata?: Record<string, string>
): Uint8Array {
  const entries: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(utf8Compare);
    for (const k of keys) {
      if (typeof metadata[k] !== 'string') {
        throw new Error(
          `serializeSafetensors: metadata[${JSON.stringify(k)}] must be a string, ` +
            `got ${typeof metadata[k]}`
        );
      }
    }
    // Built by hand: JSON.stringify would move integer-like keys ("0", "1") to the front.
    const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',');
    entries.push(`${JSON.stringify(METADATA)}:{${body}}`);
  }
  const items: { name: string; dtype: SafetensorsDtype; data: ArrayLike<number> }[] = [];
  for (const name of Object.keys(tensors)) {
    const { shape, data, dtype } = tensors[name];
    const label = `serializeSafetensors: tensor ${JSON.stringify(name)}`;
    if (name === METADATA) throw new Error(`${label}: the name is reserved for metadata`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${label}: shape must be an array of integers >= 0, got ${String(shape)}`);
    }
    if (!Array.isArray(data) && !(ArrayBuffer.isView(data) && !(data instanceof DataView))) {
      const got = Object.prototype.toString.call(data);
      throw new Error(`${label}: data must be an array or typed array of numbers, got ${got}`);
    }
    if (data.length !== product(shape)) {
      throw new Error(
        `${label}: data.length (${data.length}) must equal the product of shape ` +
          `${fmtShape(shape)} (${product(shape)})`
      );
    }
    items.push({ name, dtype: checkDtype(label, dtype), data });
  }
  items.sort((a, b) => DTYPES[b.dtype].rank - DTYPES[a.dtype].rank || utf8Compare(a.name, b.name));
  let offset = 0;
  for (const { name, dtype, data } of items) {
    const shape = tensors[name].shape;
    const end = offset + DTYPES[dtype].size * data.length;
    entries.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${fmtShape(shape)},` +
        `"data_offsets":[${offset},${end}]}`
    );
    offset = end;
  }
  const json = encoder.encode(`{${entries.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const { name, dtype, data } of items) {
    encode(view, out, at, dtype, data, `serializeSafetensors: tensor ${JSON.stringify(name)}`);
    at += DTYPES[dtype].size * data.length;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

// An own property even for "__proto__", which plain assignment would turn into a prototype.
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

function checkEntry(
  file: string,
  name: string,
  info: unknown,
  dataLen: number,
  headerEnd: number
): Entry {
  const where = `${file}: tensor ${JSON.stringify(name)}`;
  if (typeName(info) !== 'object') {
    throw new Error(
      `${where}: header entry must be an object {dtype, shape, data_offsets}, ` +
        `got ${typeName(info)}`
    );
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDtype(dtype)) {
    const known = typeof dtype === 'string' && OTHER_DTYPES.includes(dtype);
    throw new Error(
      `${where}: field dtype: ${JSON.stringify(dtype)} ` +
        `${known ? 'is not supported by this reader' : 'is not a safetensors dtype'} ` +
        `(${READ_LIST} are read)`
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(
      `${where}: field shape must be an array of integers >= 0, got ` + `${JSON.stringify(shape)}`
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new Error(
      `${where}: field data_offsets must be [begin, end] with integers ` +
        `0 <= begin <= end, got ${JSON.stringify(offsets)}`
    );
  }
  const [begin, end] = offsets as number[];
  if (end > dataLen) {
    throw new Error(
      `${where}: field data_offsets [${begin}, ${end}] runs past the data section ` +
        `(${dataLen} bytes, file offsets ${headerEnd}..${headerEnd + dataLen})`
    );
  }
  const need = product(shape) * DTYPES[dtype].size;
  if (end - begin !== need) {
    throw new Error(
      `${where}: field data_offsets [${begin}, ${end}] spans ${end - begin} bytes ` +
        `but shape ${fmtShape(shape)} of ${dtype} needs ${need} bytes`
    );
  }
  return { name, dtype, shape, begin, end };
}

let f16Table: Float32Array | undefined;

// All 65,536 halves decoded once (256 KiB): a lookup beats bit-fiddling per element.
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = sign * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : sign * Infinity;
    else t[h] = sign * (1 + m / 1024) * 2 ** (e - 15);
  }
  f16Table = t;
  return t;
}

function decodeFloat(bytes: Uint8Array, at: number, e: Entry): Float32Array {
  const count = product(e.shape);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, e.end - e.begin);
  switch (e.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * count));
      else for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case 'F16': {
      const t = halfTable();
      for (let i = 0; i < count; i++) out[i] = t[view.getUint16(2 * i, true)];
      break;
    }
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      break;
  }
  return out;
}

// Integers as exact numbers: an I64/U64 value a number cannot hold exactly (|v| > 2^53) is an
// error rather than a silent rounding that writing the tensor back would make permanent.
function decodeInt(bytes: Uint8Array, at: number, e: Entry, file: string): Float64Array {
  const count = product(e.shape);
  const out = new Float64Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, e.end - e.begin);
  const get: (i: number) => number | bigint = {
    BOOL: (i: number) => (view.getUint8(i) === 0 ? 0 : 1),
    U8: (i: number) => view.getUint8(i),
    I8: (i: number) => view.getInt8(i),
    U16: (i: number) => view.getUint16(2 * i, true),
    I16: (i: number) => view.getInt16(2 * i, true),
    U32: (i: number) => view.getUint32(4 * i, true),
    I32: (i: number) => view.getInt32(4 * i, true),
    U64: (i: number) => view.getBigUint64(8 * i, true),
    I64: (i: number) => view.getBigInt64(8 * i, true),
  }[e.dtype as IntDtype];
  for (let i = 0; i < count; i++) {
    const v = get(i);
    if (
      typeof v === 'bigint' &&
      (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
    ) {
      throw new Error(
        `${file}: tensor ${JSON.stringify(e.name)}: element ${i} (${v}) of ` +
          `${e.dtype} is beyond 2^53, more than a number holds exactly`
      );
    }
    out[i] = Number(v);
  }
  return out;
}

/**
 * Reads a safetensors file, checking what the reference reader checks: the header length lies
 * within the file, the header is UTF-8 JSON object, every entry has a readable dtype, a shape and
 * data_offsets inside the data section spanning product(shape) * dtype size bytes, and the tensors
 * tile the data section exactly (contiguous, no overlap, no trailing bytes). Errors name `file`,
 * the tensor and the field. Floats (F16/BF16/F64) are converted to f32; integers (I64 ... U8,
 * BOOL) come as exact numbers with their dtype; the 8-, 6- and 4-bit floats and C64 are refused.
 *
 * @example
 * const { tensors, metadata } = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
 * tensors['fc.weight'].shape; // [10, 784]
 */
export function parseSafetensors(bytes: Uint8Array, file = 'safetensors'): SafetensorsContents {
  if (bytes.length < 8) {
    throw new Error(
      `${file}: truncated at byte offset ${bytes.length}: the header length field ` +
        `needs 8 bytes but the file has ${bytes.length}`
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(
      `${file}: byte offset 0: header length ${n64} exceeds the ` +
        `${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`
    );
  }
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new Error(
      `${file}: byte offset 0: header length ${n} runs past the end of the file ` +
        `(${bytes.length} bytes, so at most ${bytes.length - 8} after the length field)`
    );
  }
  let text: string;
  try {
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    text = utf8.decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new Error(`${file}: byte offset 8: the ${n}-byte header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${file}: byte offset 8: the ${n}-byte header is not valid JSON: ` + `${(e as Error).message}`
    );
  }
  if (typeName(header) !== 'object') {
    throw new Error(
      `${file}: byte offset 8: the header must be a JSON object, ` + `got ${typeName(header)}`
    );
  }
  const dataAt = 8 + n;
  const dataLen = bytes.length - dataAt;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name !== METADATA) {
      entries.push(checkEntry(file, name, info, dataLen, dataAt));
      continue;
    }
    if (typeName(info) !== 'object') {
      throw new Error(
        `${file}: header field "__metadata__" must be an object of strings, ` +
          `got ${typeName(info)}`
      );
    }
    for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
      if (typeof v !== 'string') {
        throw new Error(
          `${file}: header field "__metadata__".${JSON.stringify(k)} must be a ` +
            `string, got ${typeName(v)}`
        );
      }
      define(metadata, k, v);
    }
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let prev: Entry | undefined;
  for (const e of entries) {
    if (e.begin !== expected) {
      const after = prev
        ? `tensor ${JSON.stringify(prev.name)} ends at ${expected}`
        : 'the data section starts at 0';
      const what =
        e.begin < expected ? 'overlaps: ' : `leaves a gap of ${e.begin - expected} bytes: `;
      throw new Error(
        `${file}: tensor ${JSON.stringify(e.name)}: field data_offsets ` +
          `[${e.begin}, ${e.end}] ${what}${after}`
      );
    }
    expected = e.end;
    prev = e;
  }
  if (expected !== dataLen) {
    throw new Error(
      `${file}: byte offset ${dataAt + expected}: ${dataLen - expected} bytes ` +
        `after the last tensor (the data section is ${dataLen} bytes, the tensors cover ` +
        `${expected})`
    );
  }
  const tensors: Record<string, LoadedTensor> = {};
  for (const e of entries) {
    const at = dataAt + e.begin;
    define(
      tensors,
      e.name,
      isFloat(e.dtype)
        ? { dtype: e.dtype, shape: e.shape, data: decodeFloat(bytes, at, e) }
        : { dtype: e.dtype, shape: e.shape, data: decodeInt(bytes, at, e, file) }
    );
  }
  return { tensors, metadata };
}
