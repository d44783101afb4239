// conv2d_{fwd,bwd_input,bwd_weight,bwd_bias}_nchw against test/ref/conv.ts on awkward shapes
// (odd sizes, 1x1/3x3/5x5/7x7, stride 2, padding, dilation 2, groups 2, depthwise, batch 1,
// non-square), both builds; backward also against finite differences of the forward.
import { suite } from 'uvu';
import {
  conv2dBackwardBias,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
} from '../../src/runtime/kernels/conv.js';
import { conv2d_bwd_bias_ref } from '../ref/conv.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';
import { type ConvCase, finiteDiffTests, geometry, label, refTests, sizes } from './conv-check.js';

const t = suite('conv2d');
const rts = await builds();

type Case = ConvCase & { o: number };

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

refTests(t, rts, cases, { op: 'conv2d', seeds: [11, 23, 5, 31] });

for (const rt of rts) {
  for (const [ci, cs] of cases.entries()) {
    const g = geometry(cs);
    const GY = rand(sizes(g).y, 31 + ci);
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

finiteDiffTests(t, rts, fdCases, 'conv2d');

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
