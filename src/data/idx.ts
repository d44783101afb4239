// IDX files, the MNIST container: a big-endian header (magic 0x0000 <dtype> <ndim>, then ndim
// int32 dimensions) followed by the row-major data, nothing after it. Pure (bytes in, typed arrays
// out) so a browser can pass fetched bytes; reading and gunzipping files is src/data/idx-node.ts.
// Tests: test/data/idx.test.ts.

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A parsed IDX file: `data` is row-major with `shape` (for u8 a view into the input bytes). */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

/** Magic numbers of the two MNIST file kinds: u8 with 3 dimensions, u8 with 1 dimension. */
export const IDX_MAGIC_IMAGES = 0x00000803;
export const IDX_MAGIC_LABELS = 0x00000801;

// dtype byte -> [name, element size]; the table of the IDX format description.
const DTYPES: Record<number, [IdxDtype, number]> = {
  0x08: ['u8', 1],
  0x09: ['i8', 1],
  0x0b: ['i16', 2],
  0x0c: ['i32', 4],
  0x0d: ['f32', 4],
  0x0e: ['f64', 8],
};

const hex8 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** True when the bytes start with the gzip magic 0x1f 0x8b (an `.gz` IDX file). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function describe(shape: number[], noun: string): string {
  if (shape.length === 1) return `${shape[0]} ${noun}`;
  return `${shape[0]} ${noun} of ${shape.slice(1).join('x')}`;
}

function readMagic(bytes: Uint8Array, name: string): number {
  if (bytes.length < 4) {
    throw new Error(
      `${name}: truncated at byte offset ${bytes.length}: the magic number needs ` +
        `4 bytes but the file has ${bytes.length}`
    );
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (isGzip(bytes)) {
    throw new Error(
      `${name}: byte offset 0: magic number ${hex8(magic)} is a gzip stream, ` +
        'not IDX; decompress it first (readIdxFile in src/data/idx-node.ts does)'
    );
  }
  return magic;
}

/**
 * Parses an IDX file of any dtype and rank, validating the magic number (first two bytes 0), the
 * dtype byte, the number of dimensions, each dimension, and that the file is exactly header + data.
 * Errors name `name` (the file), the byte offset and the field. `noun` words the length error
 * ("60000 images of 28x28"). Multi-byte dtypes are converted from big-endian into a fresh array.
 *
 * @example
 * const { shape, data } = parseIdx(bytes, 'train-labels-idx1-ubyte', 'labels'); // [60000], u8
 */
export function parseIdx(bytes: Uint8Array, name = 'idx', noun = 'items'): IdxArray {
  const magic = readMagic(bytes, name);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${name}: byte offset 0: magic number ${hex8(magic)} is not IDX ` +
        '(its first two bytes must be 0x00 0x00)'
    );
  }
  const type = DTYPES[bytes[2]];
  if (type === undefined) {
    const code = bytes[2].toString(16).padStart(2, '0');
    throw new Error(
      `${name}: byte offset 2: dtype byte 0x${code} ` +
        'is not an IDX type (0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)'
    );
  }
  const [dtype, size] = type;
  const ndim = bytes[3];
  if (ndim === 0) throw new Error(`${name}: byte offset 3: number of dimensions is 0`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${name}: truncated at byte offset ${bytes.length}: the header declares ` +
        `${ndim} dimensions (${headerBytes} header bytes) but the file has ${bytes.length} bytes`
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getInt32(4 + 4 * i, false);
    if (d < 0) {
      throw new Error(`${name}: byte offset ${4 + 4 * i}: dimension ${i} is ${d} (must be >= 0)`);
    }
    shape.push(d);
    count *= d;
  }
  const expected = headerBytes + count * size;
  if (!Number.isSafeInteger(expected)) {
    throw new Error(
      `${name}: byte offset 4: dimensions [${shape.join(', ')}] of ${dtype} ` +
        'describe more bytes than any file can hold'
    );
  }
  if (bytes.length < expected) {
    throw new Error(
      `${name}: truncated at byte offset ${bytes.length}: header says ` +
        `${describe(shape, noun)} (${expected} bytes) but the file has ${bytes.length} bytes`
    );
  }
  if (bytes.length > expected) {
    throw new Error(
      `${name}: byte offset ${expected}: ${bytes.length - expected} trailing bytes ` +
        `after the data the header describes (${describe(shape, noun)}, ${expected} bytes)`
    );
  }
  return { dtype, shape, data: decode(view, headerBytes, count, dtype, bytes) };
}

function decode(
  view: DataView,
  at: number,
  count: number,
  dtype: IdxDtype,
  bytes: Uint8Array
): IdxData {
  switch (dtype) {
    case 'u8':
      return bytes.subarray(at, at + count);
    case 'i8':
      return new Int8Array(bytes.slice(at, at + count).buffer);
    case 'i16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(at + 2 * i, false);
      return out;
    }
    case 'i32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(at + 4 * i, false);
      return out;
    }
    case 'f32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, false);
      return out;
    }
    case 'f64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, false);
      return out;
    }
  }
}

/** classes as a label file can hold them: u8 labels, so 1..256. */
export function checkClasses(classes: number, who: string): void {
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new RangeError(
      `${who}: classes must be an integer in [1, 256] (u8 labels), got ${classes}`
    );
  }
}

function expectMagic(bytes: Uint8Array, name: string, want: number, what: string): void {
  const magic = readMagic(bytes, name);
  if (magic !== want) {
    throw new Error(
      `${name}: byte offset 0: magic number ${hex8(magic)}, expected ${hex8(want)} ` + `(${what})`
    );
  }
}

/**
 * An IDX image file (magic 0x00000803: u8 [n, rows, cols]). `pixels` is a view into `bytes`.
 *
 * @example
 * const { n, rows, cols, pixels } = parseIdxImages(bytes, 't10k-images-idx3-ubyte');
 */
export function parseIdxImages(
  bytes: Uint8Array,
  name = 'idx images'
): { n: number; rows: number; cols: number; pixels: Uint8Array } {
  expectMagic(bytes, name, IDX_MAGIC_IMAGES, 'u8 images [n, rows, cols]');
  const { shape, data } = parseIdx(bytes, name, 'images');
  return { n: shape[0], rows: shape[1], cols: shape[2], pixels: data as Uint8Array };
}

/**
 * An IDX label file (magic 0x00000801: u8 [n]), every label checked to be below `classes`.
 * The result is a view into `bytes`.
 *
 * @example
 * const labels = parseIdxLabels(bytes, 't10k-labels-idx1-ubyte'); // Uint8Array(10000)
 */
export function parseIdxLabels(bytes: Uint8Array, name = 'idx labels', classes = 256): Uint8Array {
  checkClasses(classes, 'parseIdxLabels');
  expectMagic(bytes, name, IDX_MAGIC_LABELS, 'u8 labels [n]');
  const labels = parseIdx(bytes, name, 'labels').data as Uint8Array;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new Error(
        `${name}: byte offset ${8 + i}: label ${i} is ${labels[i]}, ` + `expected 0..${classes - 1}`
      );
    }
  }
  return labels;
}
