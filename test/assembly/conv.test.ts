// conv2d_{fwd,bwd_input,bwd_weight,bwd_bias}_nchw against test/ref/conv.ts on awkward shapes
// (odd sizes, 1x1/3x3/5x5/7x7, stride 2, padding, dilation 2, groups 2, depthwise, batch 1,
// non-square), both builds; backward also against finite differences of the forward.
import { suite } from 'uvu';
import {
  conv2dBackwardBias,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  type Conv2dGeometry,
} from '../../src/runtime/kernels/conv.js';
import type { Runtime } from '../../src/runtime/load.js';
import { numericGrad } from '../fd.js';
import {
  conv2d_bwd_bias_ref,
  conv2d_bwd_input_ref,
  conv2d_bwd_weight_ref,
  conv2d_fwd_ref,
} from '../ref/conv.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('conv2d');
const rts = await builds();

interface Case {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: number | [number, number];
  s?: number | [number, number];
  p?: number | [number, number];
  d?: number;
  g?: number;
}

const cases: Case[] = [
  { n: 1, c: 1, h: 5, w: 5, o: 1, k: 3 },
  { n: 2, c: 3, h: 7, w: 5, o: 4, k: 3, s: 2, p: 1, d: 2 },
  { n: 1, c: 3, h: 7, w: 9, o: 5, k: 1 },
  { n: 2, c: 6, h: 9, w: 11, o: 4, k: 3, p: 1, g: 2 },
  { n: 1, c: 5, h: 17, w: 13, o: 7, k: 5, p: 2 },
  { n: 1, c: 2, h: 13, w: 15, o: 3, k: 7, p: 3 },
  { n: 3, c: 4, h: 10, w: 8, o: 9, k: 3, s: 2 },
  { n: 1, c: 8, h: 12, w: 33, o: 8, k: 3, p: 1, g: 8 },
  { n: 2, c: 5, h: 11, w: 19, o: 5, k: 3, s: 2, p: 1, g: 5 },
  { n: 1, c: 3, h: 14, w: 21, o: 3, k: 5, p: 4, d: 2, g: 3 },
  { n: 1, c: 4, h: 9, w: 9, o: 4, k: 7, p: 3, g: 4 },
  { n: 2, c: 3, h: 8, w: 26, o: 17, k: [3, 2], s: [1, 2], p: [1, 0] },
  { n: 1, c: 33, h: 6, w: 6, o: 65, k: 3, p: 1 },
  { n: 2, c: 16, h: 10, w: 10, o: 12, k: 1, s: 2 },
  { n: 1, c: 4, h: 5, w: 5, o: 6, k: 3, p: 2 },
  { n: 1, c: 2, h: 20, w: 37, o: 3, k: 3, s: 3, p: 1, d: 2 },
  { n: 1, c: 4, h: 6, w: 6, o: 8, k: 3, p: 1, g: 4 },
  // row stride / dilation / one-sided padding on the transposing stride-1 weight-gradient packer
  { n: 2, c: 3, h: 11, w: 14, o: 5, k: 3, s: [2, 1], d: 2 },
  { n: 1, c: 3, h: 9, w: 10, o: 4, k: 3, s: [2, 1], p: [0, 2] },
  // one input channel: the direct forward kernel (assembly/conv_c1.ts), O % 4 and OW % 8 tails
  { n: 2, c: 1, h: 9, w: 21, o: 17, k: 3 },
  { n: 1, c: 1, h: 6, w: 13, o: 5, k: [2, 3], p: [1, 2] },
  { n: 1, c: 1, h: 4, w: 4, o: 3, k: 1 },
  { n: 2, c: 1, h: 7, w: 35, o: 8, k: 5, p: 2 },
];

function label(op: string, cs: Case, rt: Runtime): string {
  const k = Array.isArray(cs.k) ? cs.k.join('x') : `${cs.k}`;
  return (
    `${op} n=${cs.n} c=${cs.c} h=${cs.h} w=${cs.w} o=${cs.o} k=${k} s=${cs.s ?? 1} ` +
    `p=${cs.p ?? 0} d=${cs.d ?? 1} g=${cs.g ?? 1} [${rt.build}]`
  );
}

function geometry(cs: Case): Conv2dGeometry {
  const [kh, kw] = Array.isArray(cs.k) ? cs.k : [cs.k, cs.k];
  const g = cs.g ?? 1;
  return conv2dGeometry([cs.n, cs.c, cs.h, cs.w], [cs.o, cs.c / g, kh, kw], {
    stride: cs.s,
    padding: cs.p,
    dilation: cs.d,
    groups: g,
  });
}

function sizes(g: Conv2dGeometry): { x: number; w: number; y: number } {
  return {
    x: g.n * g.c * g.h * g.w,
    w: g.o * (g.c / g.groups) * g.kh * g.kw,
    y: g.n * g.o * g.oh * g.ow,
  };
}

for (const rt of rts) {
  for (const [ci, cs] of cases.entries()) {
    const g = geometry(cs);
    const sz = sizes(g);
    const X = rand(sz.x, 11 + ci),
      W = rand(sz.w, 23 + ci),
      B = rand(g.o, 5 + ci),
      GY = rand(sz.y, 31 + ci);

    for (const relu of [false, true]) {
      const name = label(`conv2d_fwd${relu ? '_relu' : ''}`, cs, rt);
      t(name, () => {
        const x = put(rt, X),
          w = put(rt, W),
          b = put(rt, B),
          y = put(rt, new Float32Array(sz.y).fill(NaN));
        conv2dForward(rt, g, x, w, b, y, relu);
        expectClose(get(rt, y), conv2d_fwd_ref(g, X, W, B, relu), name);
        freeAll(rt, x, w, b, y);
      });
    }
    t(label('conv2d_bwd_input', cs, rt), () => {
      const gy = put(rt, GY),
        w = put(rt, W),
        gx = put(rt, new Float32Array(sz.x).fill(NaN));
      conv2dBackwardInput(rt, g, gy, w, gx);
      expectClose(get(rt, gx), conv2d_bwd_input_ref(g, GY, W), label('conv2d_bwd_input', cs, rt));
      freeAll(rt, gy, w, gx);
    });
    t(label('conv2d_bwd_weight', cs, rt), () => {
      const x = put(rt, X),
        gy = put(rt, GY),
        gw = put(rt, new Float32Array(sz.w).fill(NaN));
      conv2dBackwardWeight(rt, g, x, gy, gw);
      expectClose(get(rt, gw), conv2d_bwd_weight_ref(g, X, GY), label('conv2d_bwd_weight', cs, rt));
      freeAll(rt, x, gy, gw);
    });
    t(label('conv2d_bwd_bias', cs, rt), () => {
      const gy = put(rt, GY),
        gb = put(rt, new Float32Array(g.o).fill(NaN));
      conv2dBackwardBias(rt, g, gy, gb);
      expectClose(get(rt, gb), conv2d_bwd_bias_ref(g, GY), label('conv2d_bwd_bias', cs, rt));
      freeAll(rt, gy, gb);
    });
  }
}

// Finite differences of the forward kernel itself (independent of the reference).
const fdCases: Case[] = [
  { n: 1, c: 2, h: 5, w: 6, o: 3, k: 3, s: 2, p: 1 },
  { n: 2, c: 4, h: 5, w: 5, o: 4, k: 3, p: 1, d: 2, g: 2 },
  { n: 1, c: 3, h: 6, w: 5, o: 3, k: 3, p: 1, g: 3 },
  { n: 1, c: 3, h: 7, w: 7, o: 3, k: 3, s: 2, p: 1, g: 3 },
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
    t(label('conv2d_bwd_input finite-diff', cs, rt), () => {
      const gy = put(rt, GY),
        w = put(rt, W),
        gx = put(rt, new Float32Array(sz.x));
      conv2dBackwardInput(rt, g, gy, w, gx);
      expectClose(
        get(rt, gx),
        numericGrad((xv) => forward(xv, W), X, GY),
        label('conv2d_bwd_input fd', cs, rt),
        1e-2
      );
      freeAll(rt, gy, w, gx);
    });
    t(label('conv2d_bwd_weight finite-diff', cs, rt), () => {
      const x = put(rt, X),
        gy = put(rt, GY),
        gw = put(rt, new Float32Array(sz.w));
      conv2dBackwardWeight(rt, g, x, gy, gw);
      expectClose(
        get(rt, gw),
        numericGrad((wv) => forward(X, wv), W, GY),
        label('conv2d_bwd_weight fd', cs, rt),
        1e-2
      );
      freeAll(rt, x, gy, gw);
    });
  }
}

t('conv2d rejects bad arguments, naming them', () => {
  expectThrows(
    () => conv2dGeometry([8, 6, 28, 28], [16, 4, 3, 3], { groups: 2 }),
    [
      'conv2d',
      'weight.shape[1] (4) * groups (2)',
      'input channels (6)',
      '[8,6,28,28]',
      '[16,4,3,3]',
    ],
    'groups'
  );
  expectThrows(
    () => conv2dGeometry([1, 3, 4, 4], [2, 3, 5, 5]),
    ['conv2d', 'kernel 5x5', 'padded input 4x4'],
    'kernel too big'
  );
  expectThrows(
    () => conv2dGeometry([1, 3, 8, 8], [2, 3, 3]),
    ['conv2d', 'weight must be 4-D'],
    '3-D weight'
  );
  expectThrows(
    () => conv2dGeometry([1, 3, 8, 8], [2, 3, 3, 3], { stride: 0 }),
    ['conv2d', 'stride[0]'],
    'stride 0'
  );
  expectThrows(
    () => conv2dGeometry([1, 3, 8, 8], [2, 3, 3, 3], { padding: -1 }),
    ['conv2d', 'padding[0]'],
    'negative padding'
  );
  expectThrows(
    () => conv2dGeometry([1, -3, 8, 8], [2, 3, 3, 3]),
    ['conv2d', 'input.shape[1]'],
    'negative channels'
  );
  expectThrows(
    () => conv2dGeometry([1, 4, 8, 8], [3, 2, 3, 3], { groups: 2 }),
    ['conv2d', 'divisible by groups'],
    'o % groups'
  );
  const rt = rts[0];
  const g = conv2dGeometry([1, 2, 5, 5], [3, 2, 3, 3]);
  const x = put(rt, rand(50, 1)),
    w = put(rt, rand(54, 2)),
    small = put(rt, rand(26, 3));
  expectThrows(
    () => conv2dForward(rt, g, x, w, null, small),
    ['conv2d', 'output holds 26', 'output [1,3,3,3] needs 27'],
    'output too small'
  );
  expectThrows(
    () => conv2dForward(rt, g, small, w, null, x),
    ['conv2d', 'input holds 26', 'needs 50'],
    'input too small'
  );
  expectThrows(
    () => conv2dBackwardWeight(rt, g, x, x, small),
    ['conv2d_backward_weight', 'gradWeight holds 26', 'needs 54'],
    'gradWeight too small'
  );
  freeAll(rt, x, w, small);
});

t.run();
