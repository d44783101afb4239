// Intra-op threads (setNumThreads, src/runtime/threads.ts): GEMM and conv kernels, and the
// element-wise kernels of inference (unary maps, broadcast binary ops, eval batch norm, max pool),
// split across 2 and 3 threads give bitwise the results of one thread (both builds, tile-edge and
// odd shapes, with the split threshold lowered so small cases split); predict on a small ResNet-like model the same;
// argument checks; a failing or hanging helper is reported, not hung on; setNumThreads(1) stops
// the helpers (and the suite's process exits with them unref'ed).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
} from '../../src/runtime/kernels/conv.js';
import { gemm } from '../../src/runtime/kernels/gemm.js';
import { batchNorm2dForward } from '../../src/runtime/kernels/norm.js';
import {
  binary,
  type BinaryOp,
  unaryForward,
  type UnaryOp,
} from '../../src/runtime/kernels/pointwise.js';
import { maxPool2dForward, pool2dShape } from '../../src/runtime/kernels/pool.js';
import type { Runtime } from '../../src/runtime/load.js';
import {
  getNumThreads,
  injectThreadFault,
  setNumThreads,
  threadTesting,
  withNumThreads,
} from '../../src/runtime/threads.js';
import { init, manualSeed, nn, predict } from '../../src/index.js';
import { builds, freeAll, get, put, rand } from '../util.js';

const t = suite('threads');
await init();
const rts = await builds();

/** Runs fn with threads 1, 2 and 3 (one team of 3, kept across cases); every result must
 * equal the first bit for bit, and the multi-thread runs must really have split. */
function sameAcrossThreads(label: string, fn: () => Float32Array, mustSplit = true): void {
  const one = new Uint32Array(withNumThreads('test', 1, fn).buffer);
  for (const n of [3, 2]) {
    const before = threadTesting.splitCalls();
    const helped = threadTesting.helperParts();
    const got = new Uint32Array(withNumThreads('test', n, fn).buffer);
    if (mustSplit) {
      assert.ok(threadTesting.splitCalls() > before, `${label} threads=${n}: did not split`);
      assert.ok(
        threadTesting.helperParts() > helped,
        `${label} threads=${n}: no part ran on a helper`
      );
    }
    for (let i = 0; i < one.length; i++) {
      if (got[i] !== one[i]) {
        assert.unreachable(
          `${label} threads=${n}: element ${i} differs (bits ${got[i]} vs ${one[i]})`
        );
      }
    }
  }
}

t.before(() => threadTesting.setMinPartFlops(1));
t.after(() => {
  threadTesting.setMinPartFlops();
  setNumThreads(1);
});

interface GemmCase {
  m: number;
  n: number;
  k: number;
  ta?: boolean;
  tb?: boolean;
  beta?: number;
}
const gemmCases: GemmCase[] = [
  { m: 5, n: 65, k: 17 },
  { m: 33, n: 9, k: 300, tb: true, beta: 0.5 },
  { m: 130, n: 3, k: 7, ta: true },
  { m: 17, n: 200, k: 257, ta: true, tb: true, beta: 1 },
  { m: 1, n: 1000, k: 64, tb: true },
  { m: 64, n: 24, k: 5 },
];

for (const rt of rts) {
  for (const c of gemmCases) {
    const label = `gemm m=${c.m} n=${c.n} k=${c.k} ${c.ta ? 't' : 'n'}${c.tb ? 't' : 'n'} beta=${c.beta ?? 0} [${rt.build}]`;
    t(label, () => {
      const lda = (c.ta ? c.m : c.k) + 3;
      const ldb = (c.tb ? c.k : c.n) + 5;
      const ldc = c.n + 7;
      const a = put(rt, rand((c.ta ? c.k : c.m) * lda, 1));
      const b = put(rt, rand((c.tb ? c.n : c.k) * ldb, 2));
      const c0 = rand(c.m * ldc, 3);
      const out = put(rt, c0);
      sameAcrossThreads(label, () => {
        rt.heap.view(out).set(c0);
        gemm(rt, {
          m: c.m,
          n: c.n,
          k: c.k,
          a,
          b,
          c: out,
          lda,
          ldb,
          ldc,
          transA: c.ta,
          transB: c.tb,
          beta: c.beta ?? 0,
          alpha: 1.5,
        });
        return get(rt, out);
      });
      freeAll(rt, a, b, out);
    });
  }
}

interface ConvCase {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: number;
  s?: number;
  p?: number;
  d?: number;
  g?: number;
}
const convCases: ConvCase[] = [
  { n: 1, c: 5, h: 13, w: 11, o: 17, k: 3, p: 1 },
  { n: 1, c: 3, h: 19, w: 17, o: 9, k: 7, s: 2, p: 3 },
  { n: 3, c: 4, h: 10, w: 8, o: 9, k: 3, s: 2 },
  { n: 1, c: 16, h: 9, w: 9, o: 33, k: 1 },
  { n: 1, c: 6, h: 9, w: 11, o: 4, k: 3, p: 1, g: 2 },
  { n: 1, c: 8, h: 12, w: 33, o: 8, k: 3, p: 1, g: 8 },
  { n: 2, c: 5, h: 11, w: 19, o: 5, k: 3, s: 2, p: 1, g: 5 },
  // tall enough for bands of output rows (forward)
  { n: 1, c: 3, h: 40, w: 9, o: 6, k: 3, p: 1 },
  { n: 1, c: 2, h: 75, w: 13, o: 5, k: 7, s: 2, p: 3 },
  { n: 1, c: 4, h: 37, w: 6, o: 3, k: 1 },
  { n: 1, c: 2, h: 41, w: 7, o: 9, k: 3, p: 2, d: 2 },
  { n: 1, c: 3, h: 80, w: 5, o: 4, k: 2, s: 3, p: 1 },
];

for (const rt of rts) {
  for (const c of convCases) {
    const label = `conv2d n=${c.n} c=${c.c} h=${c.h} w=${c.w} o=${c.o} k=${c.k} s=${c.s ?? 1} p=${c.p ?? 0} d=${c.d ?? 1} g=${c.g ?? 1} [${rt.build}]`;
    t(label, () => {
      const g = conv2dGeometry([c.n, c.c, c.h, c.w], [c.o, c.c / (c.g ?? 1), c.k, c.k], {
        stride: c.s,
        padding: c.p,
        dilation: c.d,
        groups: c.g,
      });
      const x = put(rt, rand(c.n * c.c * c.h * c.w, 4));
      const w = put(rt, rand(c.o * (c.c / g.groups) * c.k * c.k, 5));
      const bias = put(rt, rand(c.o, 6));
      const ySize = c.n * c.o * g.oh * g.ow;
      const gy = put(rt, rand(ySize, 7));
      const y = rt.heap.allocF32(ySize);
      const gx = rt.heap.allocF32(c.n * c.c * c.h * c.w);
      const gw = rt.heap.allocF32(w.length);
      sameAcrossThreads(`${label} fwd`, () => {
        conv2dForward(rt, g, x, w, bias, y, true);
        return get(rt, y);
      });
      if (c.n > 1 || g.groups > 1) {
        sameAcrossThreads(`${label} bwd_input`, () => {
          conv2dBackwardInput(rt, g, gy, w, gx);
          return get(rt, gx);
        });
      }
      if (c.n === 1) {
        sameAcrossThreads(
          `${label} bwd_weight`,
          () => {
            conv2dBackwardWeight(rt, g, x, gy, gw);
            return get(rt, gw);
          },
          g.groups > 1 || c.o > 8
        ); // one group: columns of 8 output channels
      }
      freeAll(rt, x, w, bias, gy, y, gx, gw);
    });
  }
}

const unaryCases: [UnaryOp, number, number?][] = [
  ['relu', 1003],
  ['exp', 37],
  ['gelu', 4099],
  ['leakyRelu', 65, 0.1],
  ['relu', 1],
];
for (const rt of rts) {
  for (const [op, n, p0] of unaryCases) {
    const label = `unary ${op} n=${n} [${rt.build}]`;
    t(label, () => {
      const x = put(rt, rand(n, 9, -3, 3));
      const y = rt.heap.allocF32(n);
      sameAcrossThreads(
        label,
        () => {
          unaryForward(rt, op, x, y, n, p0 ?? 0);
          return get(rt, y);
        },
        n > 16
      );
      freeAll(rt, x, y);
    });
  }
}

/** [op, a's shape, b's shape, out shape, must split] */
const binaryCases: [BinaryOp, number[], number[], number[], boolean][] = [
  ['add', [1, 64, 7, 9], [1, 64, 7, 9], [1, 64, 7, 9], true],
  ['mul', [1003], [1003], [1003], true],
  ['sub', [3, 5, 7], [5, 1], [3, 5, 7], true],
  ['mul', [1, 6, 5, 7], [6, 1, 1], [1, 6, 5, 7], true],
  ['div', [5], [1, 4, 1], [1, 4, 5], true],
  ['maximum', [33], [1], [33], true],
  // more than 4 dims after collapsing: looped over in TypeScript, not split
  ['add', [2, 1, 3, 1, 2], [1, 2, 1, 3, 1], [2, 2, 3, 3, 2], false],
];
for (const rt of rts) {
  for (const [op, as, bs, ys, split] of binaryCases) {
    const label = `binary ${op} ${JSON.stringify(as)} ${JSON.stringify(bs)} [${rt.build}]`;
    t(label, () => {
      const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
      const a = put(rt, rand(size(as), 10, 0.5, 2));
      const b = put(rt, rand(size(bs), 11, 0.5, 2));
      const y = rt.heap.allocF32(size(ys));
      sameAcrossThreads(
        label,
        () => {
          binary(rt, op, a, as, b, bs, y, ys);
          return get(rt, y);
        },
        split
      );
      freeAll(rt, a, b, y);
    });
  }
}

for (const rt of rts) {
  for (const [shape, affine] of [
    [[1, 5, 7, 9], true],
    [[3, 4, 5, 5], true],
    [[1, 7, 33], false],
    [[2, 3, 1, 1], true],
  ] as [number[], boolean][]) {
    const label = `batchNorm2d eval ${JSON.stringify(shape)} affine=${affine} [${rt.build}]`;
    t(label, () => {
      const c = shape[1];
      const total = shape.reduce((p, d) => p * d, 1);
      const x = put(rt, rand(total, 12));
      const y = rt.heap.allocF32(total);
      const gamma = affine ? put(rt, rand(c, 13)) : null;
      const beta = affine ? put(rt, rand(c, 14)) : null;
      const mean = put(rt, rand(c, 15));
      const variance = put(rt, rand(c, 16, 0.1, 2));
      const save = rt.heap.allocF32(c);
      sameAcrossThreads(label, () => {
        batchNorm2dForward(rt, shape, {
          x,
          y,
          gamma,
          beta,
          saveMean: save,
          saveInvstd: save,
          runningMean: mean,
          runningVar: variance,
          eps: 1e-5,
          momentum: 0.1,
          training: false,
        });
        return get(rt, y);
      });
      freeAll(rt, x, y, mean, variance, save, ...(gamma && beta ? [gamma, beta] : []));
    });
  }
}

for (const rt of rts) {
  for (const [shape, k, s, p] of [
    [[1, 5, 13, 11], 3, 2, 1],
    [[2, 3, 8, 9], 2, 2, 0],
    [[1, 7, 6, 5], 2, 1, 1],
  ] as [number[], number, number, number][]) {
    const label = `maxPool2d ${JSON.stringify(shape)} k=${k} s=${s} p=${p} [${rt.build}]`;
    t(label, () => {
      const g = pool2dShape(shape, { kernelSize: k, stride: s, padding: p });
      const x = put(rt, rand(g.n * g.c * g.h * g.w, 17));
      const ySize = g.n * g.c * g.oh * g.ow;
      const y = rt.heap.allocF32(ySize);
      const arg = rt.heap.allocF32(ySize);
      sameAcrossThreads(`${label} y`, () => {
        maxPool2dForward(rt, g, x, y, arg);
        return get(rt, y);
      });
      sameAcrossThreads(`${label} argmax`, () => {
        maxPool2dForward(rt, g, x, y, arg);
        return get(rt, arg);
      });
      freeAll(rt, x, y, arg);
    });
  }
}

t('predict on a small ResNet-like model: threads 2 and 3 equal one thread bitwise', () => {
  manualSeed(3);
  const block = new nn.Sequential(
    new nn.Conv2d(16, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.Conv2d(16, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16)
  );
  const model = new nn.Sequential(
    new nn.Conv2d(3, 16, 7, { stride: 2, padding: 3 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
    block,
    new nn.ReLU(),
    new nn.Conv2d(16, 32, 3, { stride: 2, padding: 1 }),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(32, 10)
  );
  const image = rand(3 * 40 * 40, 8, 0, 1);
  const opts = { sampleShape: [3, 40, 40] };
  const one = predict(model, image, { ...opts, threads: 1 });
  for (const threads of [2, 3]) {
    const before = threadTesting.splitCalls();
    const got = predict(model, image, { ...opts, threads });
    assert.ok(threadTesting.splitCalls() > before, `threads=${threads}: nothing split`);
    assert.equal(Array.from(got), Array.from(one), `threads=${threads}`);
  }
  assert.is(getNumThreads(), 1, 'predict restores the setting');
});

t('setNumThreads and predict({ threads }) refuse what is not a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 'x', null]) {
    assert.throws(
      () => setNumThreads(bad as number),
      /setNumThreads: n must be a positive integer/,
      `setNumThreads(${String(bad)})`
    );
  }
  assert.throws(
    () => predict(new nn.Linear(4, 2), [1, 2, 3, 4], { sampleShape: [4], threads: 0 }),
    /predict: threads must be a positive integer, got 0/
  );
  assert.is(getNumThreads(), 1);
});

t('a helper that throws is reported with its thread and kernel; the team keeps working', () => {
  const rt: Runtime = rts[0];
  setNumThreads(2);
  const err = injectThreadFault(rt, 'throw') as Error;
  assert.match(
    err.message,
    /intra-op thread 2 of 2 failed in fault 'throw': Error: injected fault/
  );
  sameAcrossThreads('gemm after a fault', () => {
    const a = put(rt, rand(64 * 64, 9));
    const c = rt.heap.allocF32(64 * 64);
    gemm(rt, { m: 64, n: 64, k: 64, a, b: a, c });
    const out = get(rt, c);
    freeAll(rt, a, c);
    return out;
  });
});

t('a helper that hangs times out: the team stops, kernels go on on one thread', () => {
  const rt: Runtime = rts[0];
  setNumThreads(2);
  const err = injectThreadFault(rt, 'hang', 200) as Error;
  assert.match(err.message, /did not finish fault 'hang' in 0.2 s/);
  assert.is(getNumThreads(), 1);
});

t('setNumThreads(1) stops the helpers (nothing splits any more)', () => {
  const rt: Runtime = rts[0];
  setNumThreads(2);
  const a = put(rt, rand(64 * 64, 9));
  const c = rt.heap.allocF32(64 * 64);
  const before = threadTesting.splitCalls();
  gemm(rt, { m: 64, n: 64, k: 64, a, b: a, c });
  assert.is(threadTesting.splitCalls(), before + 1);
  setNumThreads(1);
  gemm(rt, { m: 64, n: 64, k: 64, a, b: a, c });
  assert.is(threadTesting.splitCalls(), before + 1);
  assert.throws(() => injectThreadFault(rt, 'throw'), /no team/);
  freeAll(rt, a, c);
});

t("a process with helpers running exits by itself (they are unref'ed)", async () => {
  const script = fileURLToPath(new URL('./threads-exit.js', import.meta.url));
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [script], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message} (killed: ${err.killed})\n${stderr}`));
      else resolve(stdout);
    });
  });
  assert.match(out, /splits 1 c 256/);
});

t.run();
