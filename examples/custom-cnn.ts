// Train a custom CNN class (net.ts) on MNIST with the Trainer on 2 worker threads, then print the
// test accuracy. `node dist/examples/custom-cnn.js [--quick]` after `npm run build`; --quick
// trains on 2,000 images for one epoch (test/examples/ runs it so).
import { Trainer, data, init, manualSeed, optim } from 'simdgrad';
import { Net } from './net.js';

const quick = process.argv.includes('--quick');
await init();
const train = await data.mnist({ split: 'train', limit: quick ? 2000 : undefined });
const test = await data.mnist({ split: 'test', limit: quick ? 1000 : undefined });
for (const d of [train, test]) data.normalize(d.images, data.MNIST_MEAN, data.MNIST_STD, d.images);

manualSeed(1);
const model = new Net(64);
const trainer = new Trainer({
  model,
  optimizer: new optim.Adam(model.parameters(), { lr: 2e-3 }),
  train,
  test,
  epochs: quick ? 1 : 3,
  batchSize: 64,
  workers: 2,
  // Workers build their own Net: this names the module and export they import it from.
  replica: { model: { module: new URL('./net.js', import.meta.url), export: 'Net', args: [64] } },
});
const history = await trainer.fit();
const last = history[history.length - 1];
console.log(
  `test accuracy ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}% ` +
    `(${model.numParameters()} parameters, ${train.n} training images, ${trainer.workers} workers)`
);
