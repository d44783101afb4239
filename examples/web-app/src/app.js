// The app: a small CNN learns horizontal vs vertical bars (synthetic 1x12x12 images), a few
// steps on this thread, then one epoch with a Trainer on two Web Workers when the page is
// cross-origin isolated (else the Trainer says why and stays on this thread). What happened is
// written to the page and to document.body.dataset.state / window.result (the tests read them).
import {
  F,
  Trainer,
  availableThreads,
  data,
  init,
  manualSeed,
  nn,
  optim,
  sharedMemoryProblem,
  tensor,
} from 'simdgrad';

const SIZE = 12;

/** n images [n, 1, 12, 12] of one bar each (class 0 horizontal, 1 vertical) on faint noise. */
function bars(n, seed) {
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = new Float32Array(n * SIZE * SIZE);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const img = x.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
    for (let p = 0; p < img.length; p++) img[p] = 0.2 * rand();
    y[i] = rand() < 0.5 ? 0 : 1;
    const at = 1 + Math.floor(rand() * (SIZE - 2));
    for (let k = 0; k < SIZE; k++) img[y[i] === 0 ? at * SIZE + k : k * SIZE + at] = 1;
  }
  return { x, y };
}

function smallCnn() {
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(4 * 5 * 5, 2)
  );
}

export async function start(initOptions = {}) {
  const log = (line) => {
    document.getElementById('log').textContent += `${line}\n`;
  };
  const result = { build: null, steps: [], isolated: globalThis.crossOriginIsolated === true };
  globalThis.result = result;
  try {
    result.build = (await init(initOptions)).build;
    log(
      `kernels: ${result.build} build; ${availableThreads()} threads; ` +
        (sharedMemoryProblem() ?? 'memory shared with workers')
    );

    manualSeed(0);
    const model = smallCnn();
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const { x, y } = bars(32, 1);
    for (let step = 0; step < 12; step++) {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(tensor(x, [32, 1, SIZE, SIZE])), y);
      loss.backward();
      opt.step();
      result.steps.push(loss.item());
    }
    log(`one thread: loss ${result.steps[0].toFixed(4)} -> ${result.steps.at(-1).toFixed(4)}`);

    manualSeed(0);
    const net = smallCnn();
    const train = bars(256, 2);
    const out = [];
    const trainer = new Trainer({
      model: net,
      optimizer: new optim.Adam(net.parameters(), { lr: 0.01 }),
      train: data.tensorDataset(train.x, train.y, { sampleShape: [1, SIZE, SIZE] }),
      epochs: 1,
      batchSize: 32,
      workers: 2,
      out: { write: (s) => out.push(s) },
    });
    const [epoch] = await trainer.fit();
    result.epoch = { loss: epoch.trainLoss, accuracy: epoch.trainAccuracy };
    result.trainerOut = out.join('');
    log(`Trainer, workers: 2: ${result.trainerOut.trim()}`);
    log(
      `epoch: loss ${epoch.trainLoss.toFixed(4)}, ` +
        `accuracy ${(100 * epoch.trainAccuracy).toFixed(1)}%`
    );
    document.body.dataset.state = 'done';
  } catch (e) {
    result.error = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
    log(`failed: ${result.error}`);
    document.body.dataset.state = 'failed';
  }
}
