// src/data/transforms.ts against torchvision 0.14 (test/fixtures/transforms.json from
// scripts/fixtures/transforms.py): resize with and without antialias, shorter side or exact,
// up and down; center crop (Python's rounding, zero padding); resized crop; hflip; normalize.
// Then what torchvision only defines by its code: RandomResizedCrop's parameter draws, the
// classes' output shapes, seeded batches and argument errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { transforms as T, transformBatch } from '../../src/data/index.js';
import { mulberry32 } from '../../src/data/loader.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';

const t = suite('transforms');

interface Case {
  op: string;
  x: FixtureTensor;
  out: FixtureTensor;
  size: number | [number, number];
  antialias: boolean;
  params: [number, number, number, number];
  mean: number[];
  std: number[];
}

const cases = loadFixture<Case>('transforms').filter((c) => c.op !== 'decode');

function close(got: Float32Array, want: FixtureTensor, what: string, tol = 1e-5): void {
  assert.is(got.length, want.data.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want.data[i]);
    if (err > tol * (1 + Math.abs(want.data[i]))) {
      assert.unreachable(
        `${what}: element ${i} got ${got[i]}, torchvision ${want.data[i]}, error ${err}`
      );
    }
  }
}

for (const c of cases) {
  const x = Float32Array.from(c.x.data);
  const name =
    `${c.op} x=[${c.x.shape}]` +
    (c.size !== undefined ? ` size=${JSON.stringify(c.size)}` : '') +
    (c.antialias !== undefined ? ` antialias=${c.antialias}` : '') +
    (c.params ? ` crop=${c.params}` : '');
  t(name, () => {
    let got: Float32Array;
    if (c.op === 'resize') {
      const r = T.resize(x, c.x.shape, c.size, { antialias: c.antialias });
      assert.equal(r.shape, c.out.shape, 'shape');
      assert.equal(new T.Resize(c.size).outputShape(c.x.shape), c.out.shape, 'Resize.outputShape');
      got = r.data;
    } else if (c.op === 'center_crop') {
      got = T.centerCrop(x, c.x.shape, c.size);
    } else if (c.op === 'resized_crop') {
      const [top, left, h, w] = c.params;
      got = T.resizedCrop(x, c.x.shape, top, left, h, w, c.size, { antialias: c.antialias });
    } else if (c.op === 'hflip') {
      got = T.hflip(x, c.x.shape);
    } else {
      got = new T.Normalize(c.mean, c.std).apply(x, c.x.shape);
    }
    close(got, c.out, name);
  });
}

t('Resize keeps an image already of the size; 1-pixel images resize', () => {
  const x = Float32Array.of(1, 2, 3, 4, 5, 6);
  assert.is(T.resize(x, [1, 2, 3], [2, 3]).data, x);
  const one = T.resize(Float32Array.of(0.25), [1, 1, 1], [3, 2]);
  assert.equal([...one.data], [0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
  assert.equal(T.resizedSize(480, 640, 256), [256, 341]);
  assert.equal(T.resizedSize(641, 480, 256), [341, 256]);
});

t(
  'RandomResizedCrop.getParams: crops inside the image within scale and ratio, or the fallback',
  () => {
    const rand = mulberry32(3);
    for (let i = 0; i < 500; i++) {
      const [top, left, h, w] = T.RandomResizedCrop.getParams(
        40,
        30,
        [0.08, 1],
        [3 / 4, 4 / 3],
        rand
      );
      assert.ok(
        top >= 0 && left >= 0 && top + h <= 40 && left + w <= 30,
        `crop ${[top, left, h, w]}`
      );
      const area = (h * w) / 1200;
      // rounding each side moves area and ratio a little past the drawn ranges
      assert.ok(area > 0.06 && area <= 1, `area ${area}`);
      assert.ok((w / h > 0.7 && w / h < 1.45) || (h === 40 && w === 30), `ratio ${w / h}`);
    }
    // a 1 x 100 strip: no draw fits the ratio range, the fallback is the central crop at ratio 4/3
    assert.equal(
      T.RandomResizedCrop.getParams(1, 100, [0.9, 1], [3 / 4, 4 / 3], mulberry32(1)),
      [0, 49, 1, 1]
    );
    assert.equal(
      T.RandomResizedCrop.getParams(100, 1, [0.9, 1], [3 / 4, 4 / 3], mulberry32(1)),
      [49, 0, 1, 1]
    );
    // scale and ratio 1 always fit: the whole image
    assert.equal(T.RandomResizedCrop.getParams(7, 7, [1, 1], [1, 1], mulberry32(5)), [0, 0, 7, 7]);
  }
);

t('RandomHorizontalFlip: p 0 never flips, p 1 always; 0.5 flips about half', () => {
  const x = Float32Array.of(1, 2, 3, 4, 5, 6);
  const rand = mulberry32(9);
  assert.equal([...new T.RandomHorizontalFlip(1).apply(x, [1, 2, 3], rand)], [3, 2, 1, 6, 5, 4]);
  assert.is(new T.RandomHorizontalFlip(0).apply(x, [1, 2, 3], rand), x);
  const half = new T.RandomHorizontalFlip();
  let flips = 0;
  for (let i = 0; i < 400; i++) if (half.apply(x, [1, 2, 3], rand) !== x) flips++;
  assert.ok(flips > 150 && flips < 250, `${flips} flips of 400`);
});

t('Compose: output shape through the chain; transformBatch seeded (same seed, same batch)', () => {
  const tf = new T.Compose([
    new T.RandomResizedCrop([6, 5]),
    new T.RandomHorizontalFlip(),
    new T.Normalize(),
  ]);
  assert.ok(tf.random);
  assert.equal(tf.outputShape([3, 9, 11]), [3, 6, 5]);
  const eval_ = new T.Compose([new T.Resize(10), new T.CenterCrop(8), new T.Normalize()]);
  assert.not.ok(eval_.random);
  assert.equal(eval_.outputShape([3, 20, 30]), [3, 8, 8]);
  const n = 4;
  const x = Float32Array.from({ length: n * 3 * 9 * 11 }, (_, i) => ((i * 7919) % 255) / 255);
  const a = transformBatch(tf, x, n, [3, 9, 11], 42);
  const b = transformBatch(tf, x, n, [3, 9, 11], 42);
  const c = transformBatch(tf, x, n, [3, 9, 11], 43);
  assert.equal(a.sampleShape, [3, 6, 5]);
  assert.is(a.x.length, n * 3 * 6 * 5);
  assert.equal(a.x, b.x);
  assert.ok(a.x.some((v, i) => v !== c.x[i]));
  // ImageNet normalisation of values in [0, 1] stays within [-0.485/0.229, (1-0.406)/0.225]
  assert.ok(a.x.every((v) => v >= -2.12 && v <= 2.65));
});

t('errors name the transform and the shapes', () => {
  const x = new Float32Array(12);
  assert.throws(
    () => T.resize(x, [3, 2, 3], 4),
    /resize: image holds 12 values, \[3, 2, 3\] needs 18/
  );
  assert.throws(() => new T.Resize(0), /Resize: size must be a positive integer/);
  assert.throws(() => new T.CenterCrop([2, 2.5]), /CenterCrop: size must be/);
  assert.throws(
    () => new T.Normalize([0.5], [0]),
    /normalize: mean must be finite and std finite and > 0/
  );
  assert.throws(() => new T.Normalize().apply(x, [1, 3, 4]), /one value per channel \(1\)/);
  assert.throws(
    () => new T.RandomResizedCrop(8, { scale: [0.5, 0.1] }),
    /RandomResizedCrop: scale and ratio/
  );
  assert.throws(() => new T.RandomHorizontalFlip(2), /p must be in \[0, 1\]/);
  assert.throws(
    () => new T.Compose([{} as T.Transform]),
    /Compose: transforms\[0\] is not a Transform/
  );
  assert.throws(() => T.hflip(x, [12]), /hflip: images must be \[C, H, W\]/);
});

t.run();
