// In-memory image classification sets as the loaders and DataLoader see them: f32 images NCHW in
// [0, 1], i32 labels. Pure (no Node imports) so a browser can build one from fetched IDX bytes.
// Tests: test/data/mnist.test.ts.
import { checkClasses, parseIdxImages, parseIdxLabels } from './idx.js';

/** n images [n, c, h, w] (`images`, row-major, scaled to [0, 1]) with labels in 0..classes-1. */
export interface ImageDataset {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  shape: [number, number, number, number];
  /** `shape` without n, what DataLoader batches over. */
  sampleShape: [number, number, number];
  classes: number;
}

/** Mean and std of the 60,000 MNIST training pixels scaled to [0, 1] (torchvision's values). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** Mean and std of the official 60,000 Fashion-MNIST training pixels scaled to [0, 1] (the
 *  train split of fashionMnist(), a different 60,000, gives 0.2860 and 0.3528). */
export const FASHION_MNIST_MEAN = 0.286;
export const FASHION_MNIST_STD = 0.353;

/**
 * (images - mean) / std element-wise into `out` (a new array unless given; pass `images` to
 * normalise in place and spare a copy of the whole set).
 *
 * @example
 * const x = normalize(train.images, MNIST_MEAN, MNIST_STD);
 */
export function normalize(
  images: Float32Array,
  mean: number,
  std: number,
  out: Float32Array = new Float32Array(images.length)
): Float32Array {
  if (!Number.isFinite(mean)) throw new Error(`normalize: mean must be finite, got ${mean}`);
  if (!(std > 0) || !Number.isFinite(std)) {
    throw new Error(`normalize: std must be finite and > 0, got ${std}`);
  }
  if (out.length !== images.length) {
    throw new Error(
      `normalize: out.length (${out.length}) must equal images.length ` + `(${images.length})`
    );
  }
  const inv = 1 / std;
  for (let i = 0; i < images.length; i++) out[i] = (images[i] - mean) * inv;
  return out;
}

const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** u8 pixels to f32 in [0, 1] (v / 255, rounded once to f32). */
export function pixelsToUnit(
  pixels: Uint8Array,
  out = new Float32Array(pixels.length)
): Float32Array {
  for (let i = 0; i < pixels.length; i++) out[i] = UNIT[pixels[i]];
  return out;
}

/** SIMDGRAD_DATA_LIMIT: a cap on every data set the loaders read (smoke tests, README snippets). */
function envLimit(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const v = env?.SIMDGRAD_DATA_LIMIT;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`SIMDGRAD_DATA_LIMIT must be a non-negative integer, got '${v}'`);
  return n;
}

/** `limit` checked against what is there (`what` says what), or all of it when undefined; the
 * environment's SIMDGRAD_DATA_LIMIT lowers either. */
export function checkLimit(
  limit: number | undefined,
  available: number,
  who: string,
  what: string
): number {
  const cap = envLimit();
  if (cap !== undefined) limit = Math.min(limit ?? available, cap, available);
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 0 || limit > available) {
    throw new Error(
      `${who}: limit must be an integer in [0, ${available}] (${what}), ` + `got ${limit}`
    );
  }
  return limit;
}

export interface FromIdxOptions {
  /** Names used in error messages (file names or URLs). */
  imagesName?: string;
  labelsName?: string;
  /** Keep the first `limit` samples. */
  limit?: number;
  classes?: number;
  /** Who is asking, for the limit error (default 'datasetFromIdx'). */
  caller?: string;
}

/**
 * An ImageDataset from the bytes of an IDX image file and its IDX label file (uncompressed; in a
 * browser, gunzip with DecompressionStream first). Checks both files and that their counts agree.
 *
 * @example
 * const test = datasetFromIdx(imageBytes, labelBytes, { limit: 1000 }); // shape [1000,1,28,28]
 */
export function datasetFromIdx(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  opts: FromIdxOptions = {}
): ImageDataset {
  const imagesName = opts.imagesName ?? 'images';
  const labelsName = opts.labelsName ?? 'labels';
  const classes = opts.classes ?? 10;
  checkClasses(classes, opts.caller ?? 'datasetFromIdx');
  const img = parseIdxImages(imageBytes, imagesName);
  const lab = parseIdxLabels(labelBytes, labelsName, classes);
  if (lab.length !== img.n) {
    throw new Error(
      `${labelsName}: byte offset 4: ${lab.length} labels but ${imagesName} ` +
        `holds ${img.n} images`
    );
  }
  const n = checkLimit(
    opts.limit,
    img.n,
    opts.caller ?? 'datasetFromIdx',
    `the images in ${imagesName}`
  );
  const pixels = img.rows * img.cols;
  return {
    images: pixelsToUnit(img.pixels.subarray(0, n * pixels)),
    labels: Int32Array.from(lab.subarray(0, n)),
    n,
    shape: [n, 1, img.rows, img.cols],
    sampleShape: [1, img.rows, img.cols],
    classes,
  };
}
