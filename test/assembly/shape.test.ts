// copy_strided (assembly/shape.ts) against test/ref/shape.ts copy_strided_ref: dense rows,
// blocked transposes, every 3-D permutation, broadcasts, offsets into a larger output, 7 dims.
import { suite } from 'uvu';
import { contiguousStrides, copyStrided } from '../../src/runtime/kernels/shape.js';
import { copy_strided_ref } from '../ref/shape.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('shape kernels');
const rts = await builds();

interface Case {
  name: string;
  shape: number[];
  srcLen: number;
  sOff: number;
  ss: number[];
  dstLen: number;
  dOff: number;
  ds: number[];
}

function permCase(shape: number[], perm: number[]): Case {
  const cs = contiguousStrides(shape);
  const out = perm.map((p) => shape[p]);
  const size = shape.reduce((a, d) => a * d, 1);
  return {
    name: `permute [${shape}] by [${perm}]`,
    shape: out,
    srcLen: size,
    sOff: 0,
    ss: perm.map((p) => cs[p]),
    dstLen: size,
    dOff: 0,
    ds: contiguousStrides(out),
  };
}

const cases: Case[] = [];
for (const n of [1, 3, 4, 5, 17, 33, 65]) {
  cases.push({
    name: `dense n=${n}`,
    shape: [n],
    srcLen: n + 2,
    sOff: 2,
    ss: [1],
    dstLen: n + 1,
    dOff: 1,
    ds: [1],
  });
}
for (const [r, c] of [
  [1, 1],
  [3, 5],
  [4, 4],
  [5, 3],
  [8, 12],
  [17, 33],
  [33, 17],
  [65, 40],
  [4, 65],
]) {
  // src [c, r] with row stride r + 3, read as its transpose [r, c]; dst rows padded by 5
  cases.push({
    name: `transpose r=${r} c=${c} ld+3 ld+5`,
    shape: [r, c],
    srcLen: c * (r + 3),
    sOff: 0,
    ss: [1, r + 3],
    dstLen: r * (c + 5),
    dOff: 0,
    ds: [c + 5, 1],
  });
  cases.push({
    name: `scatter rows into columns r=${r} c=${c}`,
    shape: [r, c],
    srcLen: r * c,
    sOff: 0,
    ss: [c, 1],
    dstLen: r * c,
    dOff: 0,
    ds: [1, r],
  });
}
for (const shape of [
  [3, 5, 7],
  [2, 4, 9],
  [5, 1, 6],
]) {
  for (const perm of [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ]) {
    cases.push(permCase(shape, perm));
  }
}
cases.push(permCase([2, 3, 4, 5], [0, 2, 3, 1]));
cases.push(permCase([2, 1, 3, 2, 2, 3, 2], [6, 0, 5, 1, 4, 2, 3]));
cases.push({
  name: 'expand [1,5,1] -> [3,5,4]',
  shape: [3, 5, 4],
  srcLen: 5,
  sOff: 0,
  ss: [0, 1, 0],
  dstLen: 60,
  dOff: 0,
  ds: [20, 4, 1],
});
cases.push({
  name: 'expand [3,1] -> [3,17]',
  shape: [3, 17],
  srcLen: 3,
  sOff: 0,
  ss: [1, 0],
  dstLen: 51,
  dOff: 0,
  ds: [17, 1],
});
cases.push({
  name: 'cat slot [2,3,5] at offset 5 of [2,3,12]',
  shape: [2, 3, 5],
  srcLen: 30,
  sOff: 0,
  ss: [15, 5, 1],
  dstLen: 72,
  dOff: 5,
  ds: [36, 12, 1],
});
cases.push({
  name: 'narrow [4,9] cols 2..8',
  shape: [4, 7],
  srcLen: 36,
  sOff: 2,
  ss: [9, 1],
  dstLen: 28,
  dOff: 0,
  ds: [7, 1],
});

for (const rt of rts) {
  const b = `[${rt.build}]`;
  for (const c of cases) {
    t(`copy_strided ${c.name} ${b}`, () => {
      const S = rand(c.srcLen, c.srcLen + 1);
      const D = rand(c.dstLen, c.dstLen + 2);
      const s = put(rt, S),
        d = put(rt, D);
      copyStrided(
        rt,
        c.shape,
        { buf: s, offset: c.sOff, strides: c.ss },
        { buf: d, offset: c.dOff, strides: c.ds }
      );
      const ref = copy_strided_ref(c.shape, S, c.sOff, c.ss, D, c.dOff, c.ds);
      expectClose(get(rt, d), ref, `copy_strided ${c.name} ${b}`, 0);
      freeAll(rt, s, d);
    });
  }
  t(`copy_strided checks extents ${b}`, () => {
    const s = put(rt, rand(10, 1)),
      d = put(rt, rand(10, 2));
    expectThrows(
      () => copyStrided(rt, [3, 4], { buf: s, strides: [4, 1] }, { buf: d, strides: [4, 1] }),
      ['copyStrided', 'src', '12'],
      'src too short'
    );
    freeAll(rt, s, d);
  });
}

t.run();
