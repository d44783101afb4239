// runBench (bench/report.ts) on its tiny configuration: the documented fields are there with
// positive, finite values and fractions of peak in (0, 2); an installed peer (tfjs-cpu) gets
// ratios; a peer whose package cannot be imported is "not installed", not a crash; the options a
// page passes (its own MNIST images, a hook before each measurement) are used. The text and SVG
// forms of the same report are checked for what a reader needs, the depthwise kernel row and the
// ResNet-18 intra-op threads rows (one per worker count above 1) included.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReport } from '../../bench/format.js';
import { runBench, type BenchReport, type PeerMeasured } from '../../bench/report.js';
import { renderSvg } from '../../bench/svg.js';
import { convOutHW, convTransposeCases, flopsOf } from '../../bench/shapes.js';
import { F, init, randn } from '../../src/index.js';

const t = suite('bench report');

/** An import function for which `pkg` is not installed; everything else imports normally. */
function without(pkg: string): (s: string) => Promise<unknown> {
  return async (s) => {
    if (s === pkg) {
      throw Object.assign(new Error(`Cannot find package '${s}' imported from test`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    }
    return import(s);
  };
}

function positive(v: unknown, what: string): void {
  assert.ok(
    typeof v === 'number' && Number.isFinite(v) && v > 0,
    `${what}: ${String(v)} is not a positive finite number`
  );
}

function checkMeasured(
  m: { value?: number; spread?: number; timing?: { samples: number } },
  what: string
): void {
  positive(m.value, `${what} value`);
  assert.ok(
    typeof m.spread === 'number' && Number.isFinite(m.spread) && m.spread >= 0,
    `${what} spread ${m.spread}`
  );
  assert.ok((m.timing?.samples ?? 0) >= 1, `${what}: no samples`);
}

/** The fields the README documents, with sane values. */
function checkReport(r: BenchReport, workers: number[], models: string[]): void {
  assert.is(r.schema, 'simdgrad-bench/1');
  assert.ok(!Number.isNaN(Date.parse(r.startedAt)), `startedAt ${r.startedAt}`);
  positive(r.seconds, 'seconds');
  assert.is(r.config.size, 'tiny');
  assert.equal(r.config.workers, workers);
  assert.ok(r.machine.cpu.length > 0 && r.machine.logicalCores >= 1, 'machine facts');
  assert.match(r.machine.engine, /Node v\d+/);
  assert.ok(r.build.available.includes(r.build.used), `build ${r.build.used}`);
  assert.is(r.peak.length, r.build.available.length, 'one peak per build');
  for (const p of r.peak) {
    for (const v of [p.gflops, p.loopGflops, p.tileGflops]) positive(v, `peak ${p.build}`);
  }
  assert.equal(
    r.kernels.map((k) => k.kind),
    [
      'gemm',
      'conv',
      'conv',
      'conv',
      'conv',
      'pool',
      'conv',
      'conv',
      'conv',
      'eltwise',
      'eltwise',
      'eltwise',
    ]
  );
  assert.equal(
    r.kernels.filter((k) => k.kind === 'eltwise').map((k) => k.unit),
    ['GB/s', 'GB/s', 'GB/s']
  );
  for (const k of r.kernels) {
    assert.is(k.ours.status, 'ok', `${k.id}: ${k.ours.note}`);
    checkMeasured(k.ours, k.id);
    if (k.unit === 'GFLOP/s') {
      positive(k.flops, `${k.id} flops`);
      const f = k.ours.fractionOfPeak!;
      assert.ok(f > 0 && f < 2, `${k.id} fraction of peak ${f} not in (0, 2)`);
    } else {
      positive(k.bytes, `${k.id} bytes`);
    }
  }
  assert.ok(
    r.kernels.some((k) => k.id === 'conv.dw.fwd' && k.shape === 'x[2,8,6,6] w[8,1,3,3]'),
    'the depthwise row'
  );
  assert.is(r.models.length, models.length * 2 * workers.length);
  // One intra-op threads row per worker count above 1, against one thread.
  assert.equal(
    r.threads.map((x) => x.threads),
    workers.filter((w) => w > 1)
  );
  for (const x of r.threads) {
    assert.is(x.model, 'resnet18');
    assert.equal(x.input, [3, 64, 64]);
    assert.is(x.ours.status, 'ok', x.ours.note);
    checkMeasured(x.ours, `resnet18 ${x.threads} threads`);
    checkMeasured(x.oneThread, 'resnet18 1 thread');
    assert.ok(x.usedThreads >= 1 && x.usedThreads <= x.threads, `used ${x.usedThreads}`);
    positive(x.ratio, 'threads ratio');
    assert.ok(Math.abs(x.ratio! - x.ours.value! / x.oneThread.value!) < 1e-12);
  }
  for (const m of r.models) {
    const what = `${m.model} ${m.mode} w${m.workers}`;
    assert.is(m.ours.status, 'ok', `${what}: ${m.ours.note}`);
    checkMeasured(m.ours, what);
    positive(m.params, `${what} params`);
  }
  assert.not.ok(JSON.stringify(r).includes('null'), 'NaN or Infinity in the JSON');
}

function peerOf(entries: PeerMeasured[], name: string): PeerMeasured {
  const p = entries.find((e) => e.peer === name);
  assert.ok(p, `no ${name} entry`);
  return p!;
}

t('peers whose packages are missing are "not installed"; ours still measured', async () => {
  const asked: number[] = [];
  const steps: string[] = [];
  const r = await runBench({
    tiny: true,
    workers: [1],
    peers: ['tfjs-wasm', 'tfjs-cpu'],
    importModule: without('@tensorflow/tfjs'),
    data: 'mnist',
    mnist: (n) => {
      asked.push(n);
      const images = new Float32Array(n * 784).map((_, i) => Math.sin(i));
      return {
        images,
        labels: new Int32Array(n).map((_, i) => i % 10),
        n,
        shape: [n, 1, 28, 28],
        sampleShape: [1, 28, 28],
        classes: 10,
      };
    },
    beforeMeasure: (done, total) => {
      steps.push(`${done}/${total}`);
    },
  });
  checkReport(r, [1], ['small-cnn', 'lenet5']);
  assert.is(r.config.data, 'mnist');
  assert.equal(asked, [4 * r.config.batch], 'images asked of the mnist option');
  const total = r.peak.length + r.kernels.length + r.models.length;
  assert.equal(r.threads, [], 'no threads row for --workers 1');
  assert.equal(
    steps,
    Array.from({ length: total }, (_, i) => `${i}/${total}`)
  );
  assert.equal(
    r.peers.map((p) => [p.name, p.status]),
    [
      ['tfjs-wasm', 'not installed'],
      ['tfjs-cpu', 'not installed'],
    ]
  );
  for (const row of [...r.kernels, ...r.models]) {
    for (const name of ['tfjs-wasm', 'tfjs-cpu']) {
      const p = peerOf(row.peers, name);
      assert.is(p.status, 'not installed');
      assert.is(p.ratio, undefined);
    }
  }
  const text = formatReport(r);
  assert.match(text, 'not installed');
  assert.match(text, 'GEMM 32³');
  assert.match(text, 'convT = F.convTranspose2d x[2,8,4,4] w[8,4,4,4] s2 p1');
  assert.match(text, 'softmax over the last dim of x[8,1000]');
});

t("a convTranspose2d case times the conv whose input is the layer's output", async () => {
  await init();
  const [fwd, bwdInput, bwdWeight] = convTransposeCases('t', 't', [3, 8, 5, 7], [8, 4, 4, 3], 2, 1);
  const y = F.convTranspose2d(randn([3, 8, 5, 7]), randn([8, 4, 4, 3]), null, {
    stride: 2,
    padding: 1,
  });
  assert.equal(fwd.x, y.shape);
  assert.equal(
    [fwd.direction, bwdInput.direction, bwdWeight.direction],
    ['bwd_input', 'fwd', 'bwd_weight']
  );
  // The equivalent conv maps the layer's output back to its input's spatial size.
  assert.equal(convOutHW(fwd), [5, 7]);
  assert.is(flopsOf(fwd), 2 * 3 * 8 * 4 * 5 * 7 * 4 * 3);
});

t('workers 1,2 with tfjs-cpu beside ours: ratios; tfjs-wasm not installed', async () => {
  const r = await runBench({
    tiny: true,
    workers: [2, 1],
    models: ['lenet5'],
    peers: ['tfjs-wasm', 'tfjs-cpu'],
    importModule: without('@tensorflow/tfjs-backend-wasm'),
  });
  checkReport(r, [1, 2], ['lenet5']);
  assert.equal(
    r.peers.map((p) => [p.name, p.status]),
    [
      ['tfjs-wasm', 'not installed'],
      ['tfjs-cpu', 'ok'],
    ]
  );
  for (const row of [...r.kernels, ...r.models]) {
    assert.is(peerOf(row.peers, 'tfjs-wasm').status, 'not installed');
    const cpu = peerOf(row.peers, 'tfjs-cpu');
    const what = 'label' in row ? row.label : `${row.model} ${row.mode} w${row.workers}`;
    assert.is(cpu.status, 'ok', `tfjs-cpu ${what}: ${cpu.note}`);
    checkMeasured(cpu, `tfjs-cpu ${what}`);
    positive(cpu.ratio, `tfjs-cpu ${what} ratio`);
  }
  const svg = renderSvg(r);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && svg.endsWith('</svg>\n'));
  assert.not.match(svg, /NaN|undefined|Infinity/);
  const opened = (svg.match(/<(rect|text|line|svg|style|title)\b/g) ?? []).length;
  const closed = (svg.match(/<\/(rect|text|line|svg|style|title)>|\/>/g) ?? []).length;
  assert.is(opened, closed, 'every element is closed');
  for (const s of [
    'ours, 1 thread',
    'ours, 2 workers',
    'tfjs-cpu',
    'SIMD peak',
    'dw3x3 fwd',
    'ours, 2 threads',
    'intra-op threads',
  ]) {
    assert.match(svg, s);
  }
  const text = formatReport(r);
  assert.match(text, /intra-op threads, images\/s/);
  assert.match(text, /dw3x3 = depthwise conv 3x3/);
});

t.run();
