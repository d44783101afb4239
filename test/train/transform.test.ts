// Trainer with image transforms (the `transform` option) and a frozen part of the model: the
// transformed batches are seeded per step, so 2 workers give the parameters of one thread (1e-5);
// frozen parameters (requiresGrad false) come out unchanged on 1 and 2 workers while the rest
// learn; optimizers skip frozen parameters, weight decay included; a test set of another shape
// is refused naming both shapes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { data, init, manualSeed, nn, optim, rand, tensor, type Tensor } from '../../src/index.js';
import { Trainer } from '../../src/train/trainer.js';

const t = suite('trainer-transform');
await init();
const quiet = { write: (): boolean => true, isTTY: false };
const T = data.transforms;

/** n images [3, 10, 10] in [0, 1]: class k brightens channel k. */
function images(n: number, seed: number): data.TensorDataset<Int32Array> {
  manualSeed(seed);
  const x = rand([n, 3, 10, 10]).toFloat32Array();
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 100; j++)
      x[(i * 3 + y[i]) * 100 + j] = 0.5 + 0.5 * x[(i * 3 + y[i]) * 100 + j];
  }
  return data.tensorDataset(x, y, { sampleShape: [3, 10, 10] });
}

function model(): nn.Sequential {
  // no batch norm: each worker would normalise its own shard, unlike one thread
  return new nn.Sequential(
    new nn.Conv2d(3, 4, 3),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(4 * 6 * 6, 3)
  );
}

const values = (ps: Tensor[]): Float32Array[] => ps.map((p) => p.toFloat32Array());

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    let scale = 1e-12;
    for (const v of b[i]) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]) / scale);
  });
  return worst;
}

async function run(workers: number) {
  manualSeed(4);
  const m = model();
  const frozen = m.parameters().slice(0, 2); // the conv's weight and bias
  for (const p of frozen) p.requiresGrad = false;
  const before = values(m.parameters());
  const trainable = m.parameters().filter((p) => p.requiresGrad);
  const transform = new T.Compose([
    new T.RandomResizedCrop(8, { scale: [0.5, 1] }),
    new T.RandomHorizontalFlip(),
    new T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
  ]);
  const evalTf = new T.Compose([
    new T.CenterCrop(8),
    new T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
  ]);
  const test = images(12, 8);
  const testX = data.transformBatch(evalTf, test.x, test.n, test.sampleShape, 0).x;
  const trainer = new Trainer({
    model: m,
    optimizer: new optim.AdamW(trainable, { lr: 1e-2 }),
    train: images(30, 7),
    test: data.tensorDataset(testX, test.y, { sampleShape: [3, 8, 8] }),
    transform,
    epochs: 2,
    batchSize: 8,
    seed: 11,
    workers,
    out: quiet,
  });
  const history = await trainer.fit();
  return { before, after: values(m.parameters()), history, frozenGrads: frozen.map((p) => p.grad) };
}

t(
  'RandomResizedCrop + flip + Normalize per step: 2 workers equal 1 thread; frozen layers stay',
  async () => {
    const one = await run(1);
    const two = await run(2);
    const d = maxRelDiff(two.after, one.after);
    assert.ok(d <= 1e-5, `parameters differ by ${d.toExponential(2)} after 8 steps`);
    for (const r of [one, two]) {
      for (let i = 0; i < 2; i++)
        assert.equal(r.after[i], r.before[i], `frozen parameter ${i} changed`);
      assert.ok(
        r.after[2].some((v, j) => v !== r.before[2][j]),
        'the head did not learn'
      );
      // workers compute no gradient for them, as backward on one thread
      assert.ok(
        r.frozenGrads.every((g) => g === null),
        'a frozen parameter has a gradient'
      );
    }
    assert.is(two.history[1].testAccuracy, one.history[1].testAccuracy);
    assert.ok(
      Math.abs(two.history[1].trainLoss - one.history[1].trainLoss) <=
        1e-5 * one.history[1].trainLoss
    );
  }
);

t('optimizers skip parameters whose requiresGrad is false, weight decay included', () => {
  for (const make of [
    (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 }),
    (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.1, weightDecay: 0.1 }),
    (ps: Tensor[]) => new optim.AdamW(ps, { lr: 0.1 }),
  ]) {
    const a = new nn.Parameter(tensor([1, 2, 3]));
    const b = new nn.Parameter(tensor([4, 5]));
    a.grad = tensor([1, 1, 1]).keep();
    b.grad = tensor([1, 1]).keep();
    b.requiresGrad = false;
    const opt = make([a, b]);
    opt.step();
    assert.ok(
      a.toFloat32Array().every((v, i) => v !== i + 1),
      `${opt.constructor.name}: a moved`
    );
    assert.equal([...b.toFloat32Array()], [4, 5], `${opt.constructor.name}: frozen b stays`);
  }
});

t('a transform with a test set of another shape fails naming both shapes', () => {
  const m = model();
  assert.throws(
    () =>
      new Trainer({
        model: m,
        optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }),
        train: images(6, 1),
        test: images(6, 2),
        transform: new T.CenterCrop(8),
        epochs: 1,
        batchSize: 4,
        out: quiet,
      }),
    /test samples are \[3, 10, 10\] but the transform makes training samples \[3, 8, 8\]/
  );
});

t.run();
