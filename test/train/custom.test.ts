// The Trainer on one thread with a user's model, loss, metrics and float targets: the loss falls,
// records and progress report the metrics, evaluate() agrees with a hand computation; bad losses
// fail naming the problem. Checkpoints and loadModel rebuild a model from its spec, or load into
// a custom class instance.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  F,
  data,
  evaluate,
  init,
  loadModel,
  manualSeed,
  metrics,
  modelSpec,
  nn,
  noGrad,
  optim,
  rand,
  serializeSafetensors,
  tensor,
  type StepRecord,
  type Tensor,
} from '../../src/index.js';
import { loadSafetensors } from '../../src/io/safetensors-node.js';
import { Trainer } from '../../src/train/trainer.js';
import { TinyNet, regressionMetrics, squaredError } from '../parallel/custom-net.js';

const t = suite('trainer-custom');
await init();

function regression(n: number, seed: number): data.TensorDataset<Float32Array> {
  manualSeed(seed);
  const x = rand([n, 1, 6, 6]).toFloat32Array();
  const y = Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < 36; j++) s += (x[i * 36 + j] * ((j % 3) - 1)) / 6;
    return s;
  });
  return data.tensorDataset(x, y, { sampleShape: [1, 6, 6], targetShape: [1] });
}

t(
  'custom class, custom loss, float targets: loss falls; records and progress show the metric',
  async () => {
    manualSeed(1);
    const model = new TinyNet(4, 1);
    const lines: string[] = [];
    const steps: StepRecord[] = [];
    const trainer = new Trainer({
      model,
      optimizer: new optim.Adam(model.parameters(), { lr: 1e-2 }),
      train: regression(64, 2),
      test: regression(16, 3),
      epochs: 3,
      batchSize: 16,
      seed: 1,
      workers: 1,
      loss: squaredError,
      metrics: regressionMetrics,
      out: { write: (s: string) => lines.push(s), isTTY: false },
      onStep: (r) => {
        steps.push(r);
      },
    });
    const h = await trainer.fit();
    assert.ok(h[2].trainLoss < h[0].trainLoss, `train loss ${h.map((r) => r.trainLoss)}`);
    assert.is(h[0].trainAccuracy, null);
    assert.is(h[0].testAccuracy, null);
    assert.equal(Object.keys(h[0].trainMetrics), ['absError']);
    assert.is(steps.length, 12);
    assert.is(steps[0].correct, null);
    assert.ok(steps[0].metrics.absError > 0);
    const sum = steps.slice(8).reduce((a, s) => a + s.metrics.absError, 0);
    assert.ok(Math.abs(h[2].trainMetrics.absError - sum / 64) < 1e-6, 'epoch metric = sum / n');
    const epochLine = lines.find((l) => l.startsWith('epoch 3/3 train loss'))!;
    assert.match(
      epochLine,
      /train loss \d\.\d{4} absError \d\.\d{4} \| test loss \d\.\d{4} absError \d\.\d{4} \|/
    );
    assert.match(lines.join(''), /\d+ img\/s/);
    // evaluate() = the test record, and a hand computation of the loss
    const ev = evaluate(model, regression(16, 3), 5, {
      loss: squaredError,
      metrics: regressionMetrics,
    });
    assert.ok(Math.abs(ev.loss - h[2].testLoss!) < 1e-6 && ev.accuracy === null);
    const d = regression(16, 3);
    model.eval();
    const out = noGrad(() => model.forward(tensor(d.x, [16, 1, 6, 6]))).toFloat32Array();
    const mse = out.reduce((a, v, i) => a + (v - d.y[i]) ** 2, 0) / 16;
    assert.ok(Math.abs(ev.loss - mse) <= 1e-5 * mse, `evaluate loss ${ev.loss}, by hand ${mse}`);
  }
);

t('class labels: default cross-entropy and accuracy; metrics {} turns accuracy off', async () => {
  const d = regression(40, 4);
  const labels = data.tensorDataset(
    d.x,
    Int32Array.from(d.y, (v) => (v > 0 ? 1 : 0)),
    { sampleShape: [1, 6, 6] }
  );
  manualSeed(2);
  const model = new TinyNet(4, 2);
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const quiet = { write: (): boolean => true };
  const h = await new Trainer({
    model,
    optimizer: opt,
    train: labels,
    test: labels,
    epochs: 1,
    batchSize: 8,
    workers: 1,
    out: quiet,
  }).fit();
  assert.equal(Object.keys(h[0].trainMetrics), ['accuracy']);
  assert.is(h[0].trainAccuracy, h[0].trainMetrics.accuracy);
  const ev = evaluate(model, labels);
  assert.is(ev.accuracy, h[0].testAccuracy);
  const none = await new Trainer({
    model,
    optimizer: opt,
    train: labels,
    epochs: 1,
    batchSize: 8,
    workers: 1,
    out: quiet,
    metrics: {},
  }).fit();
  assert.is(none[0].trainAccuracy, null);
  const explicit = await new Trainer({
    model,
    optimizer: opt,
    train: labels,
    epochs: 1,
    batchSize: 8,
    workers: 1,
    out: quiet,
    loss: F.crossEntropy,
    metrics: { acc: metrics.accuracy },
  }).fit();
  assert.ok(explicit[0].trainMetrics.acc >= 0 && explicit[0].trainMetrics.acc <= 1);
});

t(
  'a loss that is not a scalar tensor, or float targets without a loss, fail naming why',
  async () => {
    const model = new TinyNet(4, 1);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    assert.throws(
      () =>
        new Trainer({ model, optimizer: opt, train: regression(8, 5), epochs: 1, batchSize: 4 }),
      /Trainer: float targets need a loss/
    );
    const trainer = new Trainer({
      model,
      optimizer: opt,
      train: regression(8, 5),
      epochs: 1,
      batchSize: 4,
      workers: 1,
      loss: (o: Tensor) => o,
      out: { write: (): boolean => true },
    });
    let message = '';
    await trainer.fit().catch((e: Error) => {
      message = e.message;
    });
    assert.match(message, /Trainer: the loss must return a scalar Tensor .*shape \[4,1\]/);
    assert.throws(() => evaluate(model, regression(8, 5)), /evaluate: float targets need a loss/);
  }
);

t(
  'checkpoints hold a Sequential spec; loadModel rebuilds it, or loads into a class instance',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdgrad-custom-'));
    try {
      manualSeed(6);
      const seq = new nn.Sequential(
        new nn.Flatten(),
        new nn.Linear(36, 3),
        new nn.ReLU(),
        new nn.Linear(3, 1)
      );
      const ckpt = join(dir, 'seq.ckpt.safetensors');
      const trainer = new Trainer({
        model: seq,
        optimizer: new optim.Adam(seq.parameters(), { lr: 1e-2 }),
        train: regression(16, 7),
        epochs: 1,
        batchSize: 8,
        workers: 1,
        loss: squaredError,
        checkpoint: ckpt,
        out: { write: (): boolean => true },
      });
      await trainer.fit();
      const { metadata } = await loadSafetensors(ckpt);
      assert.equal(JSON.parse(metadata.spec), modelSpec(seq));
      assert.is(metadata.model, '');
      const x = rand([2, 1, 6, 6]);
      seq.eval();
      const ref = noGrad(() => seq.forward(x)).toFloat32Array();
      const back = await loadModel(ckpt);
      assert.equal(Array.from(noGrad(() => back.forward(x)).toFloat32Array()), Array.from(ref));

      manualSeed(8);
      const net = new TinyNet(4, 1);
      const bytes = serializeSafetensors(net.stateDict(), {});
      manualSeed(9);
      const other = new TinyNet(4, 1);
      const same = await loadModel(bytes, other);
      assert.is(same, other);
      assert.is(same.training, false);
      net.eval();
      assert.equal(
        Array.from(noGrad(() => same.forward(x)).toFloat32Array()),
        Array.from(noGrad(() => net.forward(x)).toFloat32Array())
      );
      let message = '';
      await loadModel(bytes, new TinyNet(5, 1)).catch((e: Error) => {
        message = e.message;
      });
      assert.match(message, /does not fit the given TinyNet: loadStateDict: conv.weight has shape/);
      await loadModel(bytes).catch((e: Error) => {
        message = e.message;
      });
      assert.match(message, /names no model .*loadModel\(source, new Net\(\)\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
);

t.run();
