// data.tensorDataset (src/data/tensor-dataset.ts) and the DataLoader over it: n and the shapes
// from what is given (arrays or Tensors), errors naming the argument, and shuffled batches whose
// float targets [size, ...targetShape] stay with their samples.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { data, init, tensor } from '../../src/index.js';

const t = suite('tensor-dataset');
await init();

const iota = (n: number, scale = 1): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => i * scale);

t(
  'shapes: labels give n; sampleShape or targetShape give n for float targets; Tensors give all',
  () => {
    const a = data.tensorDataset(iota(12), Int32Array.of(0, 1, 2));
    assert.equal([a.n, a.sampleShape, a.targetShape], [3, [4], []]);
    const b = data.tensorDataset(iota(12), iota(6), { sampleShape: [2, 2] });
    assert.equal([b.n, b.sampleShape, b.targetShape], [3, [2, 2], [2]]);
    const c = data.tensorDataset(iota(12), iota(6), { targetShape: [1, 1] });
    assert.equal([c.n, c.sampleShape, c.targetShape], [6, [2], [1, 1]]);
    const d = data.tensorDataset(tensor(iota(24), [2, 3, 4]), tensor(iota(2), [2, 1]));
    assert.equal([d.n, d.sampleShape, d.targetShape], [2, [3, 4], [1]]);
    assert.ok(d.y instanceof Float32Array && d.x.length === 24);
  }
);

t('errors name the argument and the sizes', () => {
  assert.throws(() => data.tensorDataset(iota(12), iota(6)), /give sampleShape or targetShape/);
  assert.throws(
    () => data.tensorDataset(iota(10), iota(3), { sampleShape: [4] }),
    /x holds 10 values, which is no whole number of samples/
  );
  assert.throws(
    () => data.tensorDataset(iota(12), iota(5), { sampleShape: [4] }),
    /y holds 5 values, which is no whole number per sample for 3 samples/
  );
  assert.throws(
    () => data.tensorDataset(iota(12), iota(5), { sampleShape: [4], targetShape: [2] }),
    /y holds 5 values, n \(3\) targets of \[2\] need 6/
  );
  assert.throws(
    () => data.tensorDataset(iota(12), Int32Array.of(1, 2), { sampleShape: [4] }),
    /2 labels for 3 samples/
  );
  assert.throws(
    () => data.tensorDataset(iota(12), Int32Array.of(1, 2, 3), { targetShape: [1] }),
    /class labels .* targetShape \[1\] is for float targets/
  );
  assert.throws(
    () => data.tensorDataset(iota(12), iota(3), { sampleShape: [0, 4] }),
    /sampleShape \[0,4\] must be a list of integers > 0/
  );
});

t('DataLoader n=7 batch 3 shuffled: x and float targets [3, 2] stay together', () => {
  // sample i: x = [i, i + 0.5], y = [10 i, 10 i + 1, 10 i + 2, 10 i + 3] as [2, 2]
  const x = Float32Array.from({ length: 14 }, (_, k) => Math.floor(k / 2) + (k % 2) / 2);
  const y = Float32Array.from({ length: 28 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4));
  const ds = data.tensorDataset(x, y, { sampleShape: [2], targetShape: [2, 2] });
  const loader = new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 4 });
  const seen: number[] = [];
  for (const b of loader.epoch(1)) {
    assert.equal(b.yShape, [b.size, 2, 2]);
    assert.is(b.y.length, b.size * 4);
    assert.ok(b.y instanceof Float32Array);
    for (let k = 0; k < b.size; k++) {
      const i = b.indices[k];
      seen.push(i);
      assert.equal(Array.from(b.x.subarray(2 * k, 2 * k + 2)), [i, i + 0.5]);
      assert.equal(Array.from(b.y.subarray(4 * k, 4 * k + 4)), [
        10 * i,
        10 * i + 1,
        10 * i + 2,
        10 * i + 3,
      ]);
    }
  }
  assert.equal(
    seen.sort((p, q) => p - q),
    [0, 1, 2, 3, 4, 5, 6]
  );
  assert.equal(loader.targetShape, [2, 2]);
});

t('DataLoader refuses float targets of the wrong length and labels with a target shape', () => {
  const bad = { x: iota(6), y: iota(5), n: 3, sampleShape: [2], targetShape: [2] };
  assert.throws(
    () => new data.DataLoader(bad, { batchSize: 2 }),
    /dataset.y.length \(5\) must equal n \(3\) \* prod\(targetShape \[2\]\) = 6/
  );
  const labels = {
    x: iota(6),
    y: Int32Array.of(1, 2, 3),
    n: 3,
    sampleShape: [2],
    targetShape: [2],
  };
  assert.throws(
    () => new data.DataLoader(labels, { batchSize: 2 }),
    /class labels \(Int32Array y\)/
  );
});

t.run();
