// Depthwise conv2d (groups = channels; assembly/dwconv.ts through the conv2d bindings) against
// test/ref/conv.ts (conv2d_{fwd,bwd_input,bwd_weight}_ref), both builds: kernels 3/5/7 and
// rectangular ones, stride 1/2 and mixed, padding 0..k//2, asymmetric and past k-1, planes from
// 1x1 to 33x33, C 1/3/17, batch 1 and 3; plus finite differences and the workspace size.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  type Conv2dGeometry,
} from '../../src/runtime/kernels/conv.js';
import { kernel } from '../../src/runtime/kernels/call.js';
import type { Runtime } from '../../src/runtime/load.js';
import { numericGrad } from '../fd.js';
import { conv2d_bwd_input_ref, conv2d_bwd_weight_ref, conv2d_fwd_ref } from '../ref/conv.js';
import { builds, expectClose, freeAll, get, put, rand } from '../util.js';

const t = suite('dwconv2d');
const rts = await builds();

type P2 = number | [number, number];
interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  k: P2;
  s?: P2;
  p?: P2;
}

const pair = (v: P2 | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

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

function label(op: string, cs: Case, rt: Runtime): string {
  const [kh, kw] = pair(cs.k, 1);
  const [sh, sw] = pair(cs.s, 1);
  const [ph, pw] = pair(cs.p, 0);
  return (
    `${op} n=${cs.n} c=${cs.c} h=${cs.h} w=${cs.w} k=${kh}x${kw} s=${sh}x${sw} ` +
    `p=${ph}x${pw} g=${cs.c} [${rt.build}]`
  );
}

function geometry(cs: Case): Conv2dGeometry {
  const [kh, kw] = pair(cs.k, 1);
  return conv2dGeometry([cs.n, cs.c, cs.h, cs.w], [cs.c, 1, kh, kw], {
    stride: cs.s,
    padding: cs.p,
    groups: cs.c,
  });
}

function sizes(g: Conv2dGeometry): { x: number; w: number; y: number } {
  return { x: g.n * g.c * g.h * g.w, w: g.o * g.kh * g.kw, y: g.n * g.o * g.oh * g.ow };
}

for (const rt of rts) {
  for (const [ci, cs] of cases.entries()) {
    const g = geometry(cs);
    const sz = sizes(g);
    const X = rand(sz.x, 101 + ci),
      W = rand(sz.w, 203 + ci),
      B = rand(g.o, 7 + ci);
    const GY = rand(sz.y, 307 + ci);
    for (const relu of [false, true]) {
      const name = label(`dwconv2d_fwd${relu ? '_relu' : ''}`, cs, rt);
      t(name, () => {
        const x = put(rt, X),
          w = put(rt, W),
          b = put(rt, B);
        const y = put(rt, new Float32Array(sz.y).fill(NaN));
        conv2dForward(rt, g, x, w, relu ? b : null, y, relu);
        expectClose(get(rt, y), conv2d_fwd_ref(g, X, W, relu ? B : null, relu), name);
        freeAll(rt, x, w, b, y);
      });
    }
    t(label('dwconv2d_bwd_input', cs, rt), () => {
      const gy = put(rt, GY),
        w = put(rt, W),
        gx = put(rt, new Float32Array(sz.x).fill(NaN));
      conv2dBackwardInput(rt, g, gy, w, gx);
      expectClose(get(rt, gx), conv2d_bwd_input_ref(g, GY, W), label('dwconv2d_bwd_input', cs, rt));
      freeAll(rt, gy, w, gx);
    });
    t(label('dwconv2d_bwd_weight', cs, rt), () => {
      const x = put(rt, X),
        gy = put(rt, GY),
        gw = put(rt, new Float32Array(sz.w).fill(NaN));
      conv2dBackwardWeight(rt, g, x, gy, gw);
      expectClose(
        get(rt, gw),
        conv2d_bwd_weight_ref(g, X, GY),
        label('dwconv2d_bwd_weight', cs, rt)
      );
      freeAll(rt, x, gy, gw);
    });
  }
}

// Finite differences of the forward kernel itself (independent of the reference).
const fdCases: Case[] = [
  { n: 1, c: 2, h: 9, w: 10, k: 5, s: 2, p: 2 },
  { n: 2, c: 3, h: 9, w: 9, k: 7, p: 3 },
  { n: 1, c: 2, h: 11, w: 12, k: 7, s: 2, p: [3, 2] },
];
for (const rt of rts) {
  for (const [ci, cs] of fdCases.entries()) {
    const g = geometry(cs);
    const sz = sizes(g);
    const X = rand(sz.x, 3 + ci),
      W = rand(sz.w, 7 + ci),
      GY = rand(sz.y, 13 + ci);
    const forward = (xv: Float32Array, wv: Float32Array): Float32Array => {
      const x = put(rt, xv),
        w = put(rt, wv),
        y = put(rt, new Float32Array(sz.y));
      conv2dForward(rt, g, x, w, null, y);
      const out = get(rt, y);
      freeAll(rt, x, w, y);
      return out;
    };
    t(label('dwconv2d_bwd_input finite-diff', cs, rt), () => {
      const gy = put(rt, GY),
        w = put(rt, W),
        gx = put(rt, new Float32Array(sz.x));
      conv2dBackwardInput(rt, g, gy, w, gx);
      expectClose(
        get(rt, gx),
        numericGrad((xv) => forward(xv, W), X, GY),
        label('bwd_input fd', cs, rt),
        1e-2
      );
      freeAll(rt, gy, w, gx);
    });
    t(label('dwconv2d_bwd_weight finite-diff', cs, rt), () => {
      const x = put(rt, X),
        gy = put(rt, GY),
        gw = put(rt, new Float32Array(sz.w));
      conv2dBackwardWeight(rt, g, x, gy, gw);
      expectClose(
        get(rt, gw),
        numericGrad((wv) => forward(X, wv), W, GY),
        label('bwd_weight fd', cs, rt),
        1e-2
      );
      freeAll(rt, x, gy, gw);
    });
  }
}

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
