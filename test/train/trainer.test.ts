// Training on real MNIST slices: the loss falls and accuracy rises above chance; a safetensors
// save/load round trip gives identical outputs; memory stops growing after the first steps;
// a diverging run stops with an error naming the step.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MNIST_MEAN, MNIST_STD, normalize } from '../../src/data/dataset.js';
import { mnist } from '../../src/data/mnist.js';
import { init, manualSeed, optim, runtime, tensor, noGrad } from '../../src/index.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors-node.js';
import { createModel } from '../../src/models/zoo.js';
import { evaluate, Trainer } from '../../src/train/trainer.js';
import { expectClose, expectThrows } from '../util.js';

const t = suite('trainer');
await init();
const train = await mnist({ split: 'train', limit: 600 });
const test = await mnist({ split: 'test', limit: 300 });
normalize(train.images, MNIST_MEAN, MNIST_STD, train.images);
normalize(test.images, MNIST_MEAN, MNIST_STD, test.images);
const quiet = { write: (): boolean => true, isTTY: false };

for (const name of ['lenet5', 'small-cnn']) {
  t(`${name} on 600 real MNIST images: loss falls, test accuracy above chance`, async () => {
    manualSeed(3);
    const model = createModel(name);
    const before = evaluate(model, test);
    const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
    const trainer = new Trainer({
      model,
      optimizer: opt,
      train,
      test,
      epochs: 2,
      batchSize: 32,
      seed: 3,
      out: quiet,
    });
    const h = await trainer.fit();
    assert.ok(
      h[1].trainLoss < h[0].trainLoss,
      `train loss ${h[0].trainLoss} -> ${h[1].trainLoss} did not fall`
    );
    assert.ok(
      h[1].testLoss! < before.loss,
      `test loss ${before.loss} -> ${h[1].testLoss} did not fall`
    );
    assert.ok(
      h[1].testAccuracy! > 0.5,
      `test accuracy ${h[1].testAccuracy} not above 0.5 (chance 0.1)`
    );
  });
}

t('save/load round trip through safetensors gives identical outputs', async () => {
  manualSeed(4);
  const model = createModel('lenet5');
  const dir = await mkdtemp(join(tmpdir(), 'simdgrad-'));
  const file = join(dir, 'lenet5.safetensors');
  await saveSafetensors(file, model.stateDict(), { model: 'lenet5' });
  manualSeed(5);
  const other = createModel('lenet5');
  const x = tensor(test.images.subarray(0, 8 * 784), [8, 1, 28, 28]);
  const a = noGrad(() => model.forward(x)).toFloat32Array();
  const b0 = noGrad(() => other.forward(x)).toFloat32Array();
  assert.ok(
    a.some((v, i) => v !== b0[i]),
    'differently seeded models should differ'
  );
  const { tensors } = await loadSafetensors(file);
  other.loadStateDict(tensors);
  const b = noGrad(() => other.forward(x)).toFloat32Array();
  expectClose(b, a, 'outputs after load', 0);
  expectThrows(
    () => createModel('mlp').loadStateDict(tensors),
    ['loadStateDict', 'missing keys'],
    'wrong model'
  );
  await rm(dir, { recursive: true });
});

t('memory after 200 steps equals memory after 10 (buffers are recycled)', () => {
  manualSeed(6);
  const model = createModel('lenet5');
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const trainer = new Trainer({
    model,
    optimizer: opt,
    train,
    epochs: 1,
    batchSize: 16,
    out: quiet,
  });
  const x = train.images.subarray(0, 16 * 784);
  const y = train.labels.subarray(0, 16);
  let at10 = 0;
  for (let s = 1; s <= 200; s++) {
    trainer.step(x, y, 16, `step ${s}`);
    if (s === 10) at10 = runtime().heap.reservedBytes;
  }
  assert.is(runtime().heap.reservedBytes, at10);
});

t('a diverging run stops with an error naming the step', () => {
  manualSeed(7);
  const model = createModel('logistic');
  const opt = new optim.SGD(model.parameters(), { lr: 1e38 });
  const trainer = new Trainer({
    model,
    optimizer: opt,
    train,
    epochs: 1,
    batchSize: 16,
    out: quiet,
  });
  const x = train.images.subarray(0, 16 * 784);
  const y = train.labels.subarray(0, 16);
  expectThrows(
    () => {
      for (let s = 1; s <= 20; s++) trainer.step(x, y, 16, `step ${s}`);
    },
    ['loss is', 'step', 'lr 1e+38', 'diverged'],
    'overflowing loss'
  );
  const bad = Float32Array.from(x);
  bad[5] = NaN;
  expectThrows(() => trainer.step(bad, y, 16, 'step 1'), ['loss is NaN at step 1'], 'NaN input');
});

t(
  'onStep sees every step in order, its batch and the running count; createPool is used',
  async () => {
    manualSeed(8);
    const model = createModel('logistic');
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const seen: [number, number, number, number][] = [];
    const data = {
      ...train,
      n: 100,
      images: train.images.subarray(0, 100 * 784),
      labels: train.labels.subarray(0, 100),
    };
    const h = await new Trainer({
      model,
      optimizer: opt,
      train: data,
      epochs: 2,
      batchSize: 32,
      workers: 1,
      out: quiet,
      onStep: (r) => {
        seen.push([r.epoch, r.step, r.size, r.seen]);
        assert.is(r.steps, 4);
        assert.ok(
          Number.isFinite(r.loss) &&
            r.correct! >= 0 &&
            r.correct! <= r.size &&
            r.imagesPerSecond > 0
        );
      },
    }).fit();
    const epoch = (e: number): [number, number, number, number][] => [
      [e, 0, 32, 32],
      [e, 1, 32, 64],
      [e, 2, 32, 96],
      [e, 3, 4, 100],
    ];
    assert.equal(seen, [...epoch(0), ...epoch(1)]);
    assert.is(h.length, 2);
    let made = 0;
    const failing = new Trainer({
      model: createModel('logistic'),
      optimizer: opt,
      train: data,
      epochs: 1,
      batchSize: 32,
      workers: 2,
      out: quiet,
      createPool: () => {
        made++;
        throw new Error('no pool here (test)');
      },
    });
    let message = '';
    await failing.fit().catch((e: Error) => {
      message = e.message;
    });
    assert.is(made, 1);
    assert.match(message, /no pool here \(test\)/);
  }
);

t('the public data namespace loads MNIST and batches it, as the issue spells it', async () => {
  const sg = await import('../../src/index.js');
  const d = await sg.data.mnist({ split: 'test', limit: 10 });
  assert.is(d.n, 10);
  assert.equal([...d.labels.subarray(0, 3)], [7, 2, 1]);
  const loader = new sg.data.DataLoader(d, { batchSize: 4 });
  assert.is(loader.length, 3);
  assert.is(typeof sg.Trainer, 'function');
});

t.run();
