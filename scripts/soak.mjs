// Soak test of the Wasm heap (not in CI): trains and predicts with batch sizes that change every
// call for N minutes and prints the heap's reserved, live and high-water bytes every minute; the
// curve should be flat after the first minute. `npm run soak` (builds first; 30 minutes), or
// `node scripts/soak.mjs --minutes 2 --every 20 --model small-cnn`. Exits 1 if the high-water
// mark grew more than 10% after the first report.

import { performance } from 'node:perf_hooks';
import {
  MNIST_MEAN,
  MNIST_STD,
  createModel,
  data,
  init,
  manualSeed,
  optim,
  predict,
  runtime,
} from '../dist/src/index.js';
import { Trainer } from '../dist/src/train/trainer.js';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const minutes = Number(option('minutes', '30'));
const every = Number(option('every', '60'));
const modelName = option('model', 'lenet5');
if (!(minutes > 0) || !(every > 0)) throw new Error('soak: --minutes and --every must be > 0');

const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;

const { build } = await init();
const train = await data.mnist({ split: 'train', limit: 2000 });
data.normalize(train.images, MNIST_MEAN, MNIST_STD, train.images);
manualSeed(1);
const model = createModel(modelName);
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
const trainer = new Trainer({ model, optimizer, train, epochs: 1, batchSize: 256, workers: 1 });
const heap = runtime().heap;
const sample = 784;

let seed = 12345;
/** Uniform integer in [lo, hi] (mulberry32). */
function randInt(lo, hi) {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return lo + Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * (hi - lo + 1));
}

console.log(
  `soak: ${modelName}, ${build} kernels, ${minutes} min, a report every ${every} s; ` +
    'train batches 1..256, predict batches 1..700'
);
const t0 = performance.now();
let steps = 0;
let predicts = 0;
let nextReport = every;
let firstHigh = 0;
let lastHigh = 0;
for (;;) {
  const elapsed = (performance.now() - t0) / 1000;
  if (elapsed >= nextReport || elapsed >= minutes * 60) {
    const line =
      `${(elapsed / 60).toFixed(1).padStart(5)} min: reserved ${mib(heap.reservedBytes)}, ` +
      `live ${mib(heap.liveBytes)} in ${heap.liveBlocks} blocks, high water ` +
      `${mib(heap.highWaterBytes)}, Wasm memory ${mib(heap.memory.buffer.byteLength)}, ` +
      `rss ${mib(process.memoryUsage().rss)}; ${steps} steps, ${predicts} predicts`;
    console.log(line);
    if (firstHigh === 0) firstHigh = heap.highWaterBytes;
    lastHigh = heap.highWaterBytes;
    nextReport += every;
    if (elapsed >= minutes * 60) break;
  }
  const b = randInt(1, 256);
  const at = randInt(0, train.n - b);
  trainer.step(
    train.images.subarray(at * sample, (at + b) * sample),
    train.labels.subarray(at, at + b),
    b,
    `soak step ${steps + 1}`
  );
  steps++;
  const n = randInt(1, 700);
  const start = randInt(0, train.n - n);
  predict(model, train.images.subarray(start * sample, (start + n) * sample), { batchSize: 700 });
  predicts++;
}
const grew = lastHigh / firstHigh - 1;
console.log(
  `soak: high water ${mib(firstHigh)} at the first report, ${mib(lastHigh)} at the end ` +
    `(${(100 * grew).toFixed(1)}%): ${grew <= 0.1 ? 'flat' : 'GROWING'}`
);
process.exitCode = grew <= 0.1 ? 0 : 1;
