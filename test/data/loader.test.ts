// DataLoader (src/data/loader.ts): seeded order reproducible from (seed, epoch) alone, every index
// once per epoch, batch contents gathered from the dataset, last-batch sizes, buffer reuse, errors.
import { suite } from 'uvu';
import { DataLoader, epochOrder, type LoaderDataset } from '../../src/data/loader.js';
import { throwsWith } from './expect.js';

const t = suite('loader');

/** n samples of [2, 3]; sample i is filled with i + k / 10 and labelled i * 7 % 10. */
function dataset(
  n: number
): LoaderDataset<Int32Array> & { images: Float32Array; labels: Int32Array } {
  const images = new Float32Array(n * 6);
  for (let i = 0; i < images.length; i++) images[i] = Math.floor(i / 6) + (i % 6) / 10;
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 10);
  return { images, labels, n, sampleShape: [2, 3] };
}

const sorted = (a: ArrayLike<number>): string =>
  Array.from(a)
    .sort((x, y) => x - y)
    .join();
const iota = (n: number): string => Array.from({ length: n }, (_, i) => i).join();

function collect(loader: DataLoader, epoch: number): { order: number[]; sizes: number[] } {
  const order: number[] = [];
  const sizes: number[] = [];
  for (const { indices, size } of loader.epoch(epoch)) {
    order.push(...indices);
    sizes.push(size);
  }
  return { order, sizes };
}

t('epochOrder n=1000: same (seed, epoch) same permutation, any other epoch or seed differs', () => {
  const a = epochOrder(1000, 42, 3);
  if (sorted(a) !== iota(1000)) {
    throw new Error('not a permutation of 0..999');
  }
  if (epochOrder(1000, 42, 3).join() !== a.join()) throw new Error('same seed and epoch differ');
  for (const [seed, epoch] of [
    [42, 2],
    [42, 4],
    [43, 3],
    [0, 0],
    [-42, 3],
  ]) {
    if (epochOrder(1000, seed, epoch).join() === a.join()) {
      throw new Error(`seed ${seed} epoch ${epoch} gives the order of seed 42 epoch 3`);
    }
  }
});

t('epochOrder n=5 over 5000 epochs: each index leads about 1/5 of the time', () => {
  const first = [0, 0, 0, 0, 0];
  for (let e = 0; e < 5000; e++) first[epochOrder(5, 7, e)[0]]++;
  // Binomial(5000, 0.2): sd ~28, so 1000 +- 150 fails only for a broken shuffle.
  if (first.some((c) => Math.abs(c - 1000) > 150)) {
    throw new Error(`first-position counts ${first}`);
  }
});

t('DataLoader n=103 batch=10 shuffle: each index once per epoch, sizes 10x10 + 3', () => {
  const loader = new DataLoader(dataset(103), { batchSize: 10, shuffle: true, seed: 9 });
  if (loader.length !== 11) throw new Error(`length ${loader.length}`);
  const e1 = collect(loader, 1);
  if (e1.sizes.join() !== '10,10,10,10,10,10,10,10,10,10,3') throw new Error(`sizes ${e1.sizes}`);
  if (sorted(e1.order) !== iota(103)) {
    throw new Error('epoch 1 does not visit every index exactly once');
  }
  if (e1.order.join() !== epochOrder(103, 9, 1).join()) throw new Error('order != epochOrder');
  const again = new DataLoader(dataset(103), { batchSize: 10, shuffle: true, seed: 9 });
  collect(again, 5);
  if (collect(again, 1).order.join() !== e1.order.join()) {
    throw new Error('order of epoch 1 depends on what ran before');
  }
  if (collect(loader, 2).order.join() === e1.order.join()) {
    throw new Error('epochs 1 and 2 have the same order');
  }
});

t('DataLoader n=103 batch=10 dropLast: 10 batches of 10, 100 distinct indices', () => {
  const loader = new DataLoader(dataset(103), {
    batchSize: 10,
    shuffle: true,
    seed: 9,
    dropLast: true,
  });
  const { order, sizes } = collect(loader, 0);
  if (loader.length !== 10 || sizes.length !== 10 || sizes.some((s) => s !== 10)) {
    throw new Error(`length ${loader.length}, sizes ${sizes}`);
  }
  if (new Set(order).size !== 100) throw new Error('repeated index');
});

t('DataLoader n=7 batch=3 no shuffle: x [b,2,3] and y gathered in order 0..6', () => {
  const d = dataset(7);
  const loader = new DataLoader(d, { batchSize: 3 });
  let next = 0;
  for (const { x, y, size, shape } of loader.epoch(4)) {
    if (shape.join() !== `${size},2,3` || x.length !== size * 6 || y.length !== size) {
      throw new Error(`batch at ${next}: shape [${shape}], x ${x.length}, y ${y.length}`);
    }
    for (let k = 0; k < size; k++, next++) {
      for (let p = 0; p < 6; p++) {
        if (x[k * 6 + p] !== d.images[next * 6 + p]) throw new Error(`sample ${next} element ${p}`);
      }
      if (y[k] !== d.labels[next]) throw new Error(`label of sample ${next}`);
    }
  }
  if (next !== 7) throw new Error(`${next} samples`);
});

t('DataLoader: batches share one buffer; iterating the loader runs epochs 0, 1, ...', () => {
  const loader = new DataLoader(dataset(20), { batchSize: 8, shuffle: true, seed: 1 });
  const it = loader.epoch(0);
  const x0 = it.next().value!.x;
  const b1 = it.next().value!;
  if (b1.x.buffer !== x0.buffer || b1.x.byteOffset !== x0.byteOffset) throw new Error('new buffer');
  // The documented hazard: the first batch's view now shows the second batch.
  if (x0[0] !== b1.indices[0]) throw new Error(`x0[0] ${x0[0]}, b1 index ${b1.indices[0]}`);
  const runs: number[][] = [];
  for (let r = 0; r < 2; r++) {
    const order: number[] = [];
    for (const b of loader) order.push(...b.indices);
    runs.push(order);
  }
  for (let e = 0; e < 2; e++) {
    if (runs[e].join() !== epochOrder(20, 1, e).join()) {
      throw new Error(`loop ${e} is not epoch ${e}`);
    }
  }
});

t('DataLoader rejects bad batchSize, images/labels lengths, epoch', () => {
  const d = dataset(4);
  throwsWith(() => new DataLoader(d, { batchSize: 0 }), ['batchSize', 'got 0'], 'batchSize 0');
  throwsWith(
    () => new DataLoader({ ...d, images: d.images.subarray(1) }, { batchSize: 2 }),
    ['dataset.images.length (23)', 'n (4)', 'sampleShape [2, 3]', '= 24'],
    'images length'
  );
  throwsWith(
    () => new DataLoader({ ...d, labels: new Int32Array(3) }, { batchSize: 2 }),
    ['dataset.labels.length (3)', 'n (4)'],
    'labels length'
  );
  throwsWith(
    () => new DataLoader(d, { batchSize: 2 }).epoch(-1).next(),
    ['epoch', 'got -1'],
    'epoch'
  );
});

t.run();
