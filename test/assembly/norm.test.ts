// layernorm_{fwd,bwd}_rows, layernorm2d_{fwd,bwd} and groupnorm_{fwd,bwd}_nchw against
// test/ref/norm.ts on awkward sizes (rows of 1..65 values, 4-lane tails, groups 1..C, with and
// without affine), both builds; the backward also against finite differences of the forward.
import { suite } from 'uvu';
import type { F32Buf } from '../../src/runtime/heap.js';
import type { Runtime } from '../../src/runtime/load.js';
import {
  activationBackward,
  batchNorm2dBackward,
  groupNormBackward,
  groupNormForward,
  layerNorm2dBackward,
  layerNorm2dForward,
  layerNormRowsBackward,
  layerNormRowsForward,
} from '../../src/runtime/kernels/norm.js';
import { numericGrad } from '../fd.js';
import {
  groupnorm_bwd_ref,
  groupnorm_fwd_ref,
  layernorm2d_bwd_ref,
  layernorm2d_fwd_ref,
  layernorm_rows_bwd_ref,
  layernorm_rows_fwd_ref,
} from '../ref/norm.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('norm kernels');

/** Groups of 1-2 values have a gradient that is 0 up to rounding: judge it against 0.01. */
function gxScale(ref: Float32Array): number {
  return ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0.01);
}
const rts = await builds();
const eps = 1e-5;

function alloc(rt: Runtime, n: number): F32Buf {
  return put(rt, new Float32Array(n).fill(NaN));
}

function lnForward(
  rt: Runtime,
  rows: number,
  d: number,
  X: Float32Array,
  G: Float32Array | null,
  B: Float32Array | null
): Float32Array {
  const x = put(rt, X),
    y = alloc(rt, rows * d),
    m = alloc(rt, rows),
    s = alloc(rt, rows);
  const g = G ? put(rt, G) : null,
    b = B ? put(rt, B) : null;
  layerNormRowsForward(rt, rows, d, x, y, g, b, m, s, eps);
  const out = get(rt, y);
  freeAll(rt, x, y, m, s, ...(g ? [g] : []), ...(b ? [b] : []));
  return out;
}

function gnForward(
  rt: Runtime,
  shape: number[],
  groups: number,
  X: Float32Array,
  G: Float32Array | null,
  B: Float32Array | null
): Float32Array {
  const x = put(rt, X),
    y = alloc(rt, X.length),
    m = alloc(rt, shape[0] * groups),
    s = alloc(rt, shape[0] * groups);
  const g = G ? put(rt, G) : null,
    b = B ? put(rt, B) : null;
  groupNormForward(rt, shape, groups, x, y, g, b, m, s, eps);
  const out = get(rt, y);
  freeAll(rt, x, y, m, s, ...(g ? [g] : []), ...(b ? [b] : []));
  return out;
}

for (const rt of rts) {
  for (const [rows, d] of [
    [1, 1],
    [3, 2],
    [2, 3],
    [4, 4],
    [3, 5],
    [2, 17],
    [1, 33],
    [5, 65],
    [2, 7],
  ]) {
    for (const affine of [true, false]) {
      const name = `layernorm_rows rows=${rows} d=${d} affine=${affine} [${rt.build}]`;
      t(name, () => {
        const X = rand(rows * d, rows * 100 + d, -2, 3);
        const G = affine ? rand(d, d + 1, 0.5, 1.5) : null;
        const B = affine ? rand(d, d + 2) : null;
        expectClose(
          lnForward(rt, rows, d, X, G, B),
          layernorm_rows_fwd_ref(X, rows, d, G, B, eps),
          `${name} fwd`,
          1e-4
        );
        const GY = rand(rows * d, rows * 977 + d * 31 + 5);
        const x = put(rt, X),
          m = alloc(rt, rows),
          s = alloc(rt, rows),
          y = alloc(rt, rows * d);
        const g = G ? put(rt, G) : null;
        layerNormRowsForward(rt, rows, d, x, y, g, null, m, s, eps);
        const gy = put(rt, GY),
          gx = alloc(rt, rows * d),
          gg = alloc(rt, d),
          gb = alloc(rt, d);
        layerNormRowsBackward(rt, rows, d, x, gy, g, m, s, gx, gg, gb);
        const ref = layernorm_rows_bwd_ref(X, GY, rows, d, G, eps);
        const got = get(rt, gx);
        expectClose(got, ref.gx, `${name} bwd gx`, 1e-4, gxScale(ref.gx));
        expectClose(get(rt, gg), ref.gGamma, `${name} bwd gGamma`, 1e-4);
        expectClose(get(rt, gb), ref.gBeta, `${name} bwd gBeta`, 1e-4);
        freeAll(rt, x, m, s, y, gy, gx, gg, gb, ...(g ? [g] : []));
        if (rows * d <= 40 && d > 2) {
          const fd = numericGrad((xs) => lnForward(rt, rows, d, xs, G, B), X, GY, 1e-3);
          expectClose(got, fd, `${name} bwd vs finite differences`, 2e-2);
        }
      });
    }
  }

  // Channels-first LayerNorm: pixels 4 at a time plus a scalar tail (hw 1, 3, 4, 5, 9, 17).
  for (const [n, c, hw] of [
    [1, 1, 1],
    [2, 3, 4],
    [1, 5, 5],
    [2, 4, 9],
    [1, 17, 3],
    [1, 2, 17],
  ]) {
    for (const affine of [true, false]) {
      const name = `layernorm2d n=${n} c=${c} hw=${hw} affine=${affine} [${rt.build}]`;
      const shape = [n, c, hw];
      const size = n * c * hw;
      t(name, () => {
        const X = rand(size, size + 7, -2, 3);
        const G = affine ? rand(c, c + 1, 0.5, 1.5) : null;
        const B = affine ? rand(c, c + 2) : null;
        const x = put(rt, X),
          m = alloc(rt, n * hw),
          s = alloc(rt, n * hw),
          y = alloc(rt, size);
        const g = G ? put(rt, G) : null,
          b = B ? put(rt, B) : null;
        layerNorm2dForward(rt, shape, x, y, g, b, m, s, eps);
        expectClose(get(rt, y), layernorm2d_fwd_ref(X, n, c, hw, G, B, eps), `${name} fwd`, 1e-4);
        const GY = rand(size, size * 977 + 5);
        const gy = put(rt, GY),
          gx = alloc(rt, size),
          gg = alloc(rt, c),
          gb = alloc(rt, c);
        layerNorm2dBackward(rt, shape, x, gy, g, m, s, gx, gg, gb);
        const ref = layernorm2d_bwd_ref(X, GY, n, c, hw, G, eps);
        expectClose(get(rt, gx), ref.gx, `${name} bwd gx`, 1e-4, gxScale(ref.gx));
        expectClose(get(rt, gg), ref.gGamma, `${name} bwd gGamma`, 1e-4);
        expectClose(get(rt, gb), ref.gBeta, `${name} bwd gBeta`, 1e-4);
        freeAll(rt, x, m, s, y, gy, gx, gg, gb, ...(g ? [g] : []), ...(b ? [b] : []));
      });
    }
  }

  for (const [n, c, hw, groups] of [
    [1, 1, 1, 1],
    [2, 4, 5, 2],
    [1, 6, 9, 3],
    [2, 8, 3, 8],
    [3, 4, 4, 1],
    [1, 6, 17, 2],
    [2, 3, 33, 3],
    [1, 2, 1, 1],
  ]) {
    for (const affine of [true, false]) {
      const name = `groupnorm n=${n} c=${c} hw=${hw} groups=${groups} affine=${affine} [${rt.build}]`;
      const shape = [n, c, hw];
      const size = n * c * hw;
      t(name, () => {
        const X = rand(size, size + groups, -2, 3);
        const G = affine ? rand(c, c + 1, 0.5, 1.5) : null;
        const B = affine ? rand(c, c + 2) : null;
        expectClose(
          gnForward(rt, shape, groups, X, G, B),
          groupnorm_fwd_ref(X, n, c, hw, groups, G, B, eps),
          `${name} fwd`,
          1e-4
        );
        const GY = rand(size, size * 977 + groups * 31 + 5);
        const x = put(rt, X),
          m = alloc(rt, n * groups),
          s = alloc(rt, n * groups),
          y = alloc(rt, size);
        const g = G ? put(rt, G) : null;
        groupNormForward(rt, shape, groups, x, y, g, null, m, s, eps);
        const gy = put(rt, GY),
          gx = alloc(rt, size),
          gg = alloc(rt, c),
          gb = alloc(rt, c);
        groupNormBackward(rt, shape, groups, x, gy, g, m, s, gx, gg, gb);
        const ref = groupnorm_bwd_ref(X, GY, n, c, hw, groups, G, eps);
        const got = get(rt, gx);
        expectClose(got, ref.gx, `${name} bwd gx`, 1e-4, gxScale(ref.gx));
        expectClose(get(rt, gg), ref.gGamma, `${name} bwd gGamma`, 1e-4);
        expectClose(get(rt, gb), ref.gBeta, `${name} bwd gBeta`, 1e-4);
        freeAll(rt, x, m, s, y, gy, gx, gg, gb, ...(g ? [g] : []));
        if (size <= 60 && (c / groups) * hw > 2) {
          const fd = numericGrad((xs) => gnForward(rt, shape, groups, xs, G, B), X, GY, 1e-3);
          expectClose(got, fd, `${name} bwd vs finite differences`, 2e-2);
        }
      });
    }
  }
}

t('norm bindings name the op and the argument', () => {
  const rt = rts[0];
  const x = put(rt, new Float32Array(12)),
    y = put(rt, new Float32Array(12)),
    m = put(rt, new Float32Array(4));
  expectThrows(
    () => groupNormForward(rt, [1, 6, 2], 4, x, y, null, null, m, m, eps),
    ['groupNorm', 'divisible by numGroups', '[1,6,2]'],
    'groups'
  );
  expectThrows(
    () => layerNormRowsForward(rt, 4, 4, x, y, null, null, m, m, eps),
    ['layerNorm', 'input', '16'],
    'short input'
  );
  // The backward bindings check every buffer too: a short one would let the kernel write past it.
  expectThrows(
    () => batchNorm2dBackward(rt, [2, 6, 1], x, y, null, m, m, x, null, null),
    ['batchNorm2d_backward', 'saveMean', '6 channels'],
    'short saveMean'
  );
  expectThrows(
    () => batchNorm2dBackward(rt, [1, 6, 2], x, y, null, x, x, x, m, null),
    ['batchNorm2d_backward', 'gradWeight'],
    'short gradWeight'
  );
  expectThrows(
    () => layerNorm2dBackward(rt, [1, 3, 4], x, y, null, m, m, m, null, null),
    ['layerNorm2d_backward', 'gradIn', '12'],
    'short gradIn'
  );
  expectThrows(
    () => activationBackward(rt, 'gelu', m, y, y, 12),
    ['gelu_backward', 'input', '12'],
    'short input'
  );
  freeAll(rt, x, y, m);
});

t.run();
