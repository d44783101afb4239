// A regression with mean squared error on float targets, trained by the Trainer on 2 worker
// threads: an MLP (an nn.Sequential of library layers, which workers rebuild with nothing extra)
// learns y = sin(3 x0) + x1 x2 - 0.5 x3 from 8 inputs. F.mseLoss is a library loss, so the
// workers find it by name too. Prints the test MSE beside the MSE of always predicting the mean.
// `node dist/examples/regression.js [--quick]` after `npm run build`.
import { F, Trainer, data, evaluate, init, manualSeed, nn, optim } from 'simdgrad';

const quick = process.argv.includes('--quick');
await init();

/** n samples of 8 uniform inputs in [-1, 1) and their target (a fixed seed per split). */
function make(n: number, seed: number): data.TensorDataset<Float32Array> {
  let s = seed;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
  const x = Float32Array.from({ length: n * 8 }, uniform);
  const y = Float32Array.from({ length: n }, (_, i) => {
    const r = x.subarray(i * 8, i * 8 + 8);
    return Math.sin(3 * r[0]) + r[1] * r[2] - 0.5 * r[3];
  });
  return data.tensorDataset(x, y, { sampleShape: [8], targetShape: [1] });
}

const train = make(quick ? 4000 : 20000, 1);
const test = make(1000, 2);
manualSeed(1);
const model = new nn.Sequential(
  new nn.Linear(8, 64),
  new nn.ReLU(),
  new nn.Linear(64, 64),
  new nn.ReLU(),
  new nn.Linear(64, 1)
);
const trainer = new Trainer({
  model,
  optimizer: new optim.Adam(model.parameters(), { lr: 3e-3 }),
  train,
  test,
  epochs: quick ? 8 : 20,
  batchSize: 64,
  workers: 2,
  loss: F.mseLoss,
});
await trainer.fit();
const mean = test.y.reduce((a, v) => a + v, 0) / test.n;
const baseline = test.y.reduce((a, v) => a + (v - mean) ** 2, 0) / test.n;
const { loss } = evaluate(model, test, 500, { loss: F.mseLoss });
console.log(`test MSE ${loss.toFixed(4)} (predicting the mean: ${baseline.toFixed(4)})`);
