// Depthwise conv2d (groups = channels; assembly/dwconv.ts through the conv2d bindings) against
// test/ref/conv.ts (conv2d_{fwd,bwd_input,bwd_weight}_ref), both builds: kernels 3/5/7 and
// rectangular ones, stride 1/2 and mixed, padding 0..k//2, asymmetric and past k-1, planes from
// 1x1 to 33x33, C 1/3/17, batch 1 and 3; plus finite differences and the workspace size.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kernel } from '../../src/runtime/kernels/call.js';
import { builds } from '../util.js';
import { type ConvCase, finiteDiffTests, refTests } from './conv-check.js';

const t = suite('dwconv2d');
const rts = await builds();

/** A depthwise case: groups = output channels = c. */
type Case = Omit<ConvCase, 'o' | 'g' | 'd'>;
const depthwise = (cs: Case): ConvCase => ({ ...cs, o: cs.c, g: cs.c });

/** Every kernel 3/5/7 x stride 1/2 x padding 0..k//2, twice, on rotating awkward sizes. */
function sweep(): Case[] {
  const sizes = [1, 2, 5, 7, 9, 17, 33];
  const out: Case[] = [];
  let i = 0;
  for (const k of [3, 5, 7]) {
    for (const s of [1, 2]) {
      for (let p = 0; p <= k >> 1; p++) {
        for (let rep = 0; rep < 2; rep++, i++) {
          const fit = (j: number): number => {
            for (let d = 0; d < sizes.length; d++) {
              const v = sizes[(j + d) % sizes.length];
              if (v + 2 * p >= k) return v;
            }
            return 33;
          };
          const h = fit(i * 3 + rep);
          const w = fit(i * 5 + 2 * rep + 1);
          const big = h * w > 300;
          out.push({ n: big ? 1 : [1, 3][i % 2], c: big ? 3 : [1, 3, 17][i % 3], h, w, k, s, p });
        }
      }
    }
  }
  return out;
}

const cases: Case[] = [
  ...sweep(),
  // the bench shapes, small: 28-wide rows with 3x3/5x5/7x7 at k//2, stride 2
  { n: 1, c: 3, h: 28, w: 28, k: 3, p: 1 },
  { n: 1, c: 2, h: 14, w: 28, k: 5, p: 2 },
  { n: 2, c: 2, h: 12, w: 28, k: 7, p: 3 },
  { n: 1, c: 3, h: 28, w: 28, k: 3, s: 2, p: 1 },
  { n: 1, c: 17, h: 7, w: 7, k: 5, p: 2 },
  { n: 3, c: 3, h: 14, w: 14, k: 5, s: 2, p: 2 },
  // the weight gradient's edge copies over several bands of 16 gy rows (and 2 rows at stride 3)
  { n: 1, c: 2, h: 37, w: 28, k: 7, s: 2, p: 3 },
  { n: 1, c: 2, h: 35, w: 16, k: 5, p: [2, 1] },
  { n: 1, c: 2, h: 20, w: 24, k: 5, s: [3, 1], p: 2 },
  // 3x3 stride 2 padding 1 on even widths (the strip kernels), odd and even heights
  { n: 2, c: 3, h: 13, w: 16, k: 3, s: 2, p: 1 },
  { n: 1, c: 3, h: 9, w: 8, k: 3, s: 2, p: 1 },
  { n: 1, c: 2, h: 6, w: 22, k: 3, s: 2, p: 1 },
  // 3x3 rows too wide for the strip kernels (the general path)
  { n: 1, c: 2, h: 5, w: 50, k: 3, p: 1 },
  { n: 1, c: 2, h: 5, w: 66, k: 3, s: 2, p: 1 },
  // asymmetric padding, rectangular kernels, mixed strides
  { n: 1, c: 3, h: 9, w: 17, k: 3, p: [0, 1] },
  { n: 3, c: 3, h: 17, w: 9, k: 5, s: 2, p: [2, 0] },
  { n: 1, c: 3, h: 11, w: 33, k: [3, 5], p: [1, 2] },
  { n: 1, c: 3, h: 6, w: 40, k: [1, 7], p: [0, 3] },
  { n: 1, c: 3, h: 33, w: 5, k: [7, 1], p: [3, 0] },
  { n: 2, c: 3, h: 9, w: 12, k: [2, 2], s: 2 },
  { n: 1, c: 3, h: 10, w: 13, k: [4, 4], p: [1, 2] },
  { n: 1, c: 3, h: 10, w: 19, k: [6, 2], s: [1, 2], p: [2, 1] },
  { n: 1, c: 3, h: 13, w: 20, k: [3, 8], s: [2, 1], p: [1, 3] },
  { n: 1, c: 3, h: 13, w: 21, k: [5, 3], s: [3, 2], p: [2, 1] },
  { n: 1, c: 3, h: 8, w: 9, k: [2, 6], s: [2, 2], p: [1, 3] },
  // padding past k-1 (the stride-1 input gradient's flipped kernel then has negative padding)
  { n: 1, c: 3, h: 5, w: 6, k: 3, p: 3 },
  { n: 1, c: 3, h: 7, w: 9, k: 3, s: 2, p: [4, 3] },
  // 1-D depthwise shapes: one row
  { n: 3, c: 3, h: 1, w: 33, k: [1, 5], p: [0, 2] },
  { n: 1, c: 17, h: 1, w: 33, k: [1, 3], s: [1, 2], p: [0, 1] },
];

refTests(t, rts, cases.map(depthwise), {
  op: 'dwconv2d',
  seeds: [101, 203, 7, 307],
  biasOnlyWithRelu: true,
});

// Finite differences of the forward kernel itself (independent of the reference).

const fdCases: Case[] = [
  { n: 1, c: 2, h: 9, w: 10, k: 5, s: 2, p: 2 },
  { n: 2, c: 3, h: 9, w: 9, k: 7, p: 3 },
  { n: 1, c: 2, h: 11, w: 12, k: 7, s: 2, p: [3, 2] },
];
finiteDiffTests(t, rts, fdCases.map(depthwise), 'dwconv2d');

t(
  'dwconv2d workspace grows by at most a pointer per row with the plane height (no padded copy)',
  () => {
    const rt = rts[0];
    const bytes = (kind: number, h: number, k: number, s: number): number =>
      kernel(rt, 'conv2d_workspace_bytes')(
        kind,
        32,
        128,
        h,
        28,
        128,
        k,
        k,
        s,
        s,
        k >> 1,
        k >> 1,
        1,
        1,
        128
      );
    for (const k of [3, 5, 7]) {
      for (const s of [1, 2]) {
        for (const kind of [0, 1, 2]) {
          const small = bytes(kind, 28, k, s);
          const growth = bytes(kind, 2800, k, s) - small;
          assert.ok(
            growth <= 4 * (2800 - 28) + 128,
            `kind ${kind} k ${k} s ${s}: grows ${growth} bytes`
          );
          // per-channel tap sums (16 bytes a tap) and flipped taps, a few rows, no plane
          assert.ok(
            small < 64 * 1024 + 20 * 128 * k * k,
            `kind ${kind} k ${k} s ${s}: ${small} bytes`
          );
        }
      }
    }
  }
);

t.run();
