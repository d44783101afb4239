// A user's model, loss, metrics and float targets on data-parallel workers (custom-net.ts is the
// user's module): 2 workers give the parameters, losses and metrics of one thread (relative 1e-5)
// for a custom class, a factory, and an nn.Sequential of library layers with nothing extra; fit()
// fails at start naming the option to give, or the first parameter that differs in a worker.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  availableThreads,
  data,
  init,
  manualSeed,
  metrics,
  nn,
  optim,
  rand,
  type ReplicaOptions,
  type Tensor,
  type TrainerOptions,
} from '../../src/index.js';
import { Trainer } from '../../src/train/trainer.js';
import { TinyNet, makeTinyNet, regressionMetrics, squaredError } from './custom-net.js';

const t = suite('parallel-custom');
await init();
const quiet = { write: (): boolean => true, isTTY: false };
const netUrl = new URL('./custom-net.js', import.meta.url);
const replica: ReplicaOptions = {
  model: { module: netUrl, export: 'TinyNet', args: [4, 2] },
  loss: { module: netUrl, export: 'squaredError' },
  metrics: { module: netUrl, export: 'regressionMetrics' },
};

/** 40 samples [1, 6, 6] with two float targets each: a fixed linear map of the pixels plus a
 * product, so there is something to learn. */
function regression(n = 40): data.TensorDataset<Float32Array> {
  manualSeed(77);
  const x = rand([n, 1, 6, 6]).toFloat32Array();
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < 36; j++) {
      a += (x[i * 36 + j] * ((j % 5) - 2)) / 10;
      b += (x[i * 36 + j] * x[i * 36 + ((j * 7) % 36)]) / 20;
    }
    y[2 * i] = a;
    y[2 * i + 1] = b;
  }
  return data.tensorDataset(x, y, { sampleShape: [1, 6, 6], targetShape: [2] });
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    let scale = 1e-12;
    for (const v of b[i]) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]) / scale);
  });
  return worst;
}

const values = (m: Module): Float32Array[] => m.parameters().map((p: Tensor) => p.toFloat32Array());

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a rejection, the promise resolved');
}

type Module = nn.Module;
type Make = () => Module;

async function run(make: Make, workers: number, extra: Partial<TrainerOptions>) {
  manualSeed(5);
  const model = make();
  const train = regression();
  const test = regression(12);
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const trainer = new Trainer({
    model,
    optimizer: opt,
    train,
    test,
    epochs: 2,
    batchSize: 10,
    seed: 3,
    workers,
    out: quiet,
    loss: squaredError,
    metrics: regressionMetrics,
    ...extra,
  });
  const history = await trainer.fit();
  return { params: values(model), history };
}

for (const [what, make, ref] of [
  ['a custom class', () => new TinyNet(4, 2), replica],
  [
    'a factory function',
    () => makeTinyNet(4, 2),
    { ...replica, model: { module: netUrl.href, export: 'makeTinyNet', args: [4, 2] } },
  ],
] as [string, Make, ReplicaOptions][]) {
  t(
    `${what}, a custom loss and metric, float targets [2]: 2 workers equal 1 thread (1e-5)`,
    async () => {
      const one = await run(make, 1, {});
      const two = await run(make, 2, { replica: ref });
      const d = maxRelDiff(two.params, one.params);
      assert.ok(d <= 1e-5, `parameters differ by ${d.toExponential(2)} after 8 Adam steps`);
      one.history.forEach((h1, e) => {
        const h2 = two.history[e];
        const close = (a: number | null, b: number | null, name: string): void => {
          assert.ok(
            a !== null && b !== null && Math.abs(a - b) <= 1e-5 * Math.abs(b),
            `epoch ${e + 1} ${name}: ${a} (2 workers) vs ${b}`
          );
        };
        close(h2.trainLoss, h1.trainLoss, 'train loss');
        close(h2.testLoss, h1.testLoss, 'test loss');
        close(h2.trainMetrics.absError, h1.trainMetrics.absError, 'train absError');
        close(h2.testMetrics!.absError, h1.testMetrics!.absError, 'test absError');
        assert.is(h1.trainAccuracy, null);
      });
      assert.ok(
        one.history[1].trainLoss < one.history[0].trainLoss,
        `loss did not fall: ${one.history.map((h) => h.trainLoss)}`
      );
    }
  );
}

t(
  'an nn.Sequential of library layers with class labels needs nothing extra on 2 workers',
  async () => {
    const make = (): Module =>
      new nn.Sequential(
        new nn.Conv2d(1, 3, 3),
        new nn.ReLU(),
        new nn.Flatten(),
        new nn.Linear(3 * 4 * 4, 3)
      );
    const labelled = (): data.TensorDataset<Int32Array> => {
      const d = regression(30);
      return data.tensorDataset(
        d.x,
        Int32Array.from({ length: 30 }, (_, i) => (d.y[2 * i] > 0 ? 1 : 0) + (i % 2)),
        { sampleShape: [1, 6, 6] }
      );
    };
    const go = async (workers: number) => {
      manualSeed(9);
      const model = make();
      const trainer = new Trainer({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
        train: labelled(),
        test: labelled(),
        epochs: 1,
        batchSize: 8,
        seed: 2,
        workers,
        out: quiet,
      });
      return { history: await trainer.fit(), params: values(model) };
    };
    const one = await go(1);
    const two = await go(2);
    const d = maxRelDiff(two.params, one.params);
    assert.ok(d <= 1e-5, `parameters differ by ${d.toExponential(2)}`);
    assert.is(two.history[0].testAccuracy, one.history[0].testAccuracy);
    assert.is(two.history[0].trainAccuracy, one.history[0].trainAccuracy);
    assert.equal(Object.keys(two.history[0].trainMetrics), ['accuracy']);
  }
);

t(
  'fit() fails at start naming the option when workers cannot reach the model, loss or metric',
  async () => {
    const make = (extra: Partial<TrainerOptions>): Trainer => {
      const model = new TinyNet(4, 2);
      return new Trainer({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
        train: regression(),
        epochs: 1,
        batchSize: 10,
        workers: 2,
        out: quiet,
        loss: squaredError,
        ...extra,
      });
    };
    assert.match(
      await rejection(make({}).fit()),
      /cannot rebuild TinyNet .*replica: \{ model: \{ module: new URL\('\.\/<its file>\.js', import\.meta\.url\), export: 'TinyNet' \} \}/
    );
    assert.match(
      await rejection(make({ replica: { model: replica.model } }).fit()),
      /cannot reach the loss 'squaredError' .*replica: \{ loss: \{ module: .*export: 'squaredError' \} \}/
    );
    assert.match(
      await rejection(
        make({
          replica: { model: replica.model, loss: replica.loss },
          metrics: regressionMetrics,
        }).fit()
      ),
      /cannot reach the metric 'absError' .*replica: \{ metrics: /
    );
    // float targets and no loss: at construction, whatever the workers
    assert.throws(() => make({ loss: undefined }), /float targets need a loss/);
  }
);

t(
  'a worker whose model differs fails at start naming the first parameter that differs',
  async () => {
    const model = new TinyNet(4, 2);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      train: regression(),
      epochs: 1,
      batchSize: 10,
      workers: 2,
      out: quiet,
      loss: squaredError,
      replica: { ...replica, model: { module: netUrl, export: 'TinyNet', args: [4, 3] } },
    });
    assert.match(
      await rejection(trainer.fit()),
      /workers could not start: the worker's model differs from the main model at parameter\/buffer 3: 'fc.weight' \[3,64\] in the worker, 'fc.weight' \[2,64\] in the main model/
    );
    const missing = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      train: regression(),
      epochs: 1,
      batchSize: 10,
      workers: 2,
      out: quiet,
      loss: squaredError,
      replica: { ...replica, model: { module: netUrl, export: 'NoSuchNet' } },
    });
    assert.match(
      await rejection(missing.fit()),
      /custom-net\.js has no export 'NoSuchNet' .*TinyNet/
    );
  }
);

t('the default worker count is the available parallelism for a custom model too', () => {
  const model = new TinyNet();
  const trainer = new Trainer({
    model,
    optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
    train: regression(),
    epochs: 1,
    batchSize: 10,
    loss: squaredError,
  });
  assert.is(trainer.workers, availableThreads());
  assert.is(typeof metrics.accuracy, 'function');
});

t.run();
