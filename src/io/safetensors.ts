// The safetensors format (what PyTorch users exchange): u64 little-endian header length N, N bytes
// of JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}} padded
// with spaces to a multiple of 8, then the little-endian data, tensors back to back. Pure (bytes
// in, bytes out); files are src/io/safetensors-node.ts. Tests: test/io/safetensors.test.ts.

/** dtypes this reader converts to f32 (F32 exactly; F16, BF16 exactly; F64 rounded). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64';

/** What serializeSafetensors writes: row-major f32 data of `shape`. */
export interface TensorF32 {
  shape: readonly number[];
  data: Float32Array;
}

/** A tensor read back: `dtype` as stored in the file, `data` converted to f32 (a fresh copy). */
export interface LoadedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  /** In file (offset) order. */
  tensors: Record<string, LoadedTensor>;
  metadata: Record<string, string>;
}

const DTYPE_SIZE: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
// The other dtypes of the format, so the error can tell "unsupported here" from "not a dtype".
const OTHER_DTYPES = ['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'I8', 'U8',
  'I16', 'U16', 'I32', 'U32', 'I64', 'U64', 'BOOL', 'C64'];
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

/**
 * A safetensors file holding `tensors` as F32, in name order (UTF-8 byte order, like the
 * reference writer), with `metadata` as "__metadata__" (written first, keys sorted) when given.
 * Output is byte-identical to huggingface/safetensors' serialize for the same F32 tensors.
 *
 * @example
 * const bytes = serializeSafetensors({ 'fc.weight': { shape: [10, 784], data: w } },
 *   { format: 'pt' });
 */
export function serializeSafetensors(tensors: Record<string, TensorF32>,
  metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort(utf8Compare);
  const entries: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(utf8Compare);
    for (const k of keys) {
      if (typeof metadata[k] !== 'string') {
        throw new Error(`serializeSafetensors: metadata[${JSON.stringify(k)}] must be a string, ` +
          `got ${typeof metadata[k]}`);
      }
    }
    // Built by hand: JSON.stringify would move integer-like keys ("0", "1") to the front.
    const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',');
    entries.push(`${JSON.stringify(METADATA)}:{${body}}`);
  }
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name];
    const label = `serializeSafetensors: tensor ${JSON.stringify(name)}`;
    if (name === METADATA) throw new Error(`${label}: the name is reserved for metadata`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${label}: shape must be an array of integers >= 0, got ${String(shape)}`);
    }
    if (!(data instanceof Float32Array)) {
      const got = Object.prototype.toString.call(data);
      throw new Error(`${label}: data must be a Float32Array, got ${got}`);
    }
    if (data.length !== product(shape)) {
      throw new Error(`${label}: data.length (${data.length}) must equal the product of shape ` +
        `${fmtShape(shape)} (${product(shape)})`);
    }
    const info = `{"dtype":"F32","shape":${fmtShape(shape)},"data_offsets":[${offset},` +
      `${offset + 4 * data.length}]}`;
    entries.push(`${JSON.stringify(name)}:${info}`);
    offset += 4 * data.length;
  }
  const json = encoder.encode(`{${entries.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const name of names) {
    const { data } = tensors[name];
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
    }
    at += data.byteLength;
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
  (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function checkEntry(file: string, name: string, info: unknown, dataLen: number,
  headerEnd: number): Entry {
  const where = `${file}: tensor ${JSON.stringify(name)}`;
  if (typeName(info) !== 'object') {
    throw new Error(`${where}: header entry must be an object {dtype, shape, data_offsets}, ` +
      `got ${typeName(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE)) {
    const known = typeof dtype === 'string' && OTHER_DTYPES.includes(dtype);
    throw new Error(`${where}: field dtype: ${JSON.stringify(dtype)} ` +
      `${known ? 'is not supported by this reader' : 'is not a safetensors dtype'} ` +
      '(F32, F16, BF16 and F64 are read)');
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: field shape must be an array of integers >= 0, got ` +
      `${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[0] > offsets[1]) {
    throw new Error(`${where}: field data_offsets must be [begin, end] with integers ` +
      `0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end > dataLen) {
    throw new Error(`${where}: field data_offsets [${begin}, ${end}] runs past the data section ` +
      `(${dataLen} bytes, file offsets ${headerEnd}..${headerEnd + dataLen})`);
  }
  const size = DTYPE_SIZE[dtype as SafetensorsDtype];
  const need = product(shape) * size;
  if (end - begin !== need) {
    throw new Error(`${where}: field data_offsets [${begin}, ${end}] spans ${end - begin} bytes ` +
      `but shape ${fmtShape(shape)} of ${dtype} needs ${need} bytes`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape, begin, end };
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

function decode(bytes: Uint8Array, at: number, e: Entry): Float32Array {
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

/**
 * Reads a safetensors file, checking what the reference reader checks: the header length lies
 * within the file, the header is UTF-8 JSON object, every entry has a readable dtype, a shape and
 * data_offsets inside the data section spanning product(shape) * dtype size bytes, and the tensors
 * tile the data section exactly (contiguous, no overlap, no trailing bytes). Errors name `file`,
 * the tensor and the field. F16/BF16/F64 are converted to f32; other dtypes are refused.
 *
 * @example
 * const { tensors, metadata } = parseSafetensors(new Uint8Array(await res.arrayBuffer()));
 * tensors['fc.weight'].shape; // [10, 784]
 */
export function parseSafetensors(bytes: Uint8Array, file = 'safetensors'): SafetensorsContents {
  if (bytes.length < 8) {
    throw new Error(`${file}: truncated at byte offset ${bytes.length}: the header length field ` +
      `needs 8 bytes but the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${file}: byte offset 0: header length ${n64} exceeds the ` +
      `${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new Error(`${file}: byte offset 0: header length ${n} runs past the end of the file ` +
      `(${bytes.length} bytes, so at most ${bytes.length - 8} after the length field)`);
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
    throw new Error(`${file}: byte offset 8: the ${n}-byte header is not valid JSON: ` +
      `${(e as Error).message}`);
  }
  if (typeName(header) !== 'object') {
    throw new Error(`${file}: byte offset 8: the header must be a JSON object, ` +
      `got ${typeName(header)}`);
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
      throw new Error(`${file}: header field "__metadata__" must be an object of strings, ` +
        `got ${typeName(info)}`);
    }
    for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
      if (typeof v !== 'string') {
        throw new Error(`${file}: header field "__metadata__".${JSON.stringify(k)} must be a ` +
          `string, got ${typeName(v)}`);
      }
      define(metadata, k, v);
    }
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let prev: Entry | undefined;
  for (const e of entries) {
    if (e.begin !== expected) {
      const after = prev ? `tensor ${JSON.stringify(prev.name)} ends at ${expected}`
        : 'the data section starts at 0';
      const what = e.begin < expected ? 'overlaps: '
        : `leaves a gap of ${e.begin - expected} bytes: `;
      throw new Error(`${file}: tensor ${JSON.stringify(e.name)}: field data_offsets ` +
        `[${e.begin}, ${e.end}] ${what}${after}`);
    }
    expected = e.end;
    prev = e;
  }
  if (expected !== dataLen) {
    throw new Error(`${file}: byte offset ${dataAt + expected}: ${dataLen - expected} bytes ` +
      `after the last tensor (the data section is ${dataLen} bytes, the tensors cover ` +
      `${expected})`);
  }
  const tensors: Record<string, LoadedTensor> = {};
  for (const e of entries) {
    const data = decode(bytes, dataAt + e.begin, e);
    define(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}
