// mul and dropout_fwd kernels: mul against a plain product; dropout masks hold only 0 and
// 1/(1-p), equal a scalar reference of the hash, drop about p of the elements, give y = x * mask, and repeat exactly for a seed.
import { suite } from 'uvu';
import { dropoutForward, mul } from '../../src/runtime/kernels/elementwise.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('mul+dropout');

/** dropout_fwd's mask in plain JS: a 32-bit hash of (element index + offset) and the seed. */
function refDropoutMask(n: number, p: number, seed: number, offset: number): Float32Array {
  const pf = Math.fround(p);
  const keep = pf < 1 ? Math.fround(1 / Math.fround(1 - pf)) : 0;
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul((i + offset) >>> 0, 0x9e3779b9) + seed) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    const u = Math.fround((h >>> 8) * (1 / 16777216));
    m[i] = u >= pf ? keep : 0;
  }
  return m;
}
const rts = await builds();

for (const rt of rts) {
  for (const n of [1, 3, 5, 17, 65, 1031]) {
    t(`mul n=${n} [${rt.build}]`, () => {
      const A = rand(n, n),
        B = rand(n, n + 1);
      const a = put(rt, A),
        b = put(rt, B),
        y = put(rt, new Float32Array(n).fill(NaN));
      mul(rt, a, b, y);
      expectClose(
        get(rt, y),
        A.map((v, i) => v * B[i]),
        `mul n=${n} [${rt.build}]`,
        1e-6
      );
      freeAll(rt, a, b, y);
    });
  }
  for (const p of [0, 0.25, 0.5, 0.9, 1]) {
    t(`dropout_fwd n=20001 p=${p} [${rt.build}]`, () => {
      const n = 20001;
      const X = rand(n, 5);
      const x = put(rt, X),
        y = put(rt, new Float32Array(n)),
        m = put(rt, new Float32Array(n));
      dropoutForward(rt, x, y, m, p, 12345);
      const M = get(rt, m),
        Y = get(rt, y);
      const keep = p < 1 ? 1 / (1 - p) : 0;
      // the kernel's hash, scalar (its SIMD body and scalar tail must both give exactly this)
      expectClose(M, refDropoutMask(n, p, 12345, 0), 'mask = the scalar hash', 0);
      let dropped = 0;
      for (let i = 0; i < n; i++) {
        if (M[i] === 0) dropped++;
        else if (Math.abs(M[i] - keep) > 1e-6 * keep)
          throw new Error(`mask[${i}] = ${M[i]}, expected 0 or ${keep}`);
      }
      // binomial: 5 standard deviations
      const sd = Math.sqrt(n * p * (1 - p));
      if (Math.abs(dropped - n * p) > 5 * sd + 1)
        throw new Error(`dropped ${dropped} of ${n}, expected ~${n * p}`);
      expectClose(
        Y,
        X.map((v, i) => v * M[i]),
        'y = x * mask',
        1e-6
      );
      dropoutForward(rt, x, y, m, p, 12345);
      expectClose(get(rt, m), M, 'same seed, same mask', 0);
      // a shard starting at element 7001 reproduces that part of the whole mask
      const part = put(rt, X.subarray(7001, 9000)),
        py = put(rt, new Float32Array(1999)),
        pm = put(rt, new Float32Array(1999));
      dropoutForward(rt, part, py, pm, p, 12345, 1999, 7001);
      expectClose(get(rt, pm), M.subarray(7001, 9000), 'shard mask', 0);
      freeAll(rt, part, py, pm);
      if (p > 0 && p < 1) {
        dropoutForward(rt, x, y, m, p, 54321);
        const M2 = get(rt, m);
        if (M2.every((v, i) => v === M[i])) throw new Error('another seed gave the same mask');
      }
      freeAll(rt, x, y, m);
    });
  }
}

t('dropout rejects p outside [0, 1]', () => {
  const rt = rts[0];
  const x = put(rt, rand(4, 1));
  expectThrows(
    () => dropoutForward(rt, x, x, x, 1.5, 1),
    ['dropout', 'p must be in [0, 1]'],
    'p=1.5'
  );
  freeAll(rt, x);
});

t.run();
