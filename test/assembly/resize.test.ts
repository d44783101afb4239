// resize_{nearest,bilinear}_{fwd,bwd}_nchw against test/ref/resize.ts on awkward sizes (up and
// down, exact 2x with 0..3 tail columns, identity, 1x1, alignCorners both ways, 1/scaleFactor
// scales), both builds; backward also against finite differences of the forward.
import { suite } from 'uvu';
import type { Runtime } from '../../src/runtime/load.js';
import {
  resizeBackward,
  resizeForward,
  resizeScale,
  type ResizeGeometry,
  type ResizeMode,
} from '../../src/runtime/kernels/resize.js';
import { numericGrad } from '../fd.js';
import {
  resize_bilinear_bwd_ref,
  resize_bilinear_fwd_ref,
  resize_nearest_bwd_ref,
  resize_nearest_fwd_ref,
} from '../ref/resize.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('resize');
const rts = await builds();

// [nc, h, w, oh, ow, scaleFactor (undefined: from sizes)]
const cases: [number, number, number, number, number, [number, number]?][] = [
  [1, 1, 1, 1, 1],
  [2, 3, 4, 6, 8],
  [1, 5, 5, 10, 10],
  [3, 4, 7, 8, 14],
  [1, 2, 17, 4, 34],
  [2, 4, 5, 6, 8, [1.7, 1.7]],
  [1, 5, 7, 2, 3],
  [1, 3, 3, 7, 5],
  [2, 6, 9, 3, 4, [0.6, 0.5]],
  [1, 1, 65, 1, 33],
  [1, 4, 4, 8, 8, [2.2, 2.2]],
  [1, 3, 33, 1, 1],
  [1, 5, 5, 5, 5, [1.1, 1.1]],
  [2, 2, 3, 9, 7],
];

function geometry(
  nc: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  mode: ResizeMode,
  alignCorners: boolean,
  sf?: [number, number]
): ResizeGeometry {
  return {
    n: 1,
    c: nc,
    h,
    w,
    oh,
    ow,
    mode,
    alignCorners,
    scaleH: resizeScale(h, oh, mode, alignCorners, sf?.[0]),
    scaleW: resizeScale(w, ow, mode, alignCorners, sf?.[1]),
  };
}

function forward(rt: Runtime, g: ResizeGeometry, X: Float32Array): Float32Array {
  const x = put(rt, X),
    y = put(rt, new Float32Array(g.c * g.oh * g.ow).fill(NaN));
  resizeForward(rt, g, x, y);
  const out = get(rt, y);
  freeAll(rt, x, y);
  return out;
}

for (const rt of rts) {
  for (const [nc, h, w, oh, ow, sf] of cases) {
    for (const [mode, ac] of [
      ['nearest', false],
      ['bilinear', false],
      ['bilinear', true],
    ] as const) {
      const g = geometry(nc, h, w, oh, ow, mode, ac, sf);
      const ref = { nc, h, w, oh, ow, scaleH: g.scaleH, scaleW: g.scaleW, alignCorners: ac };
      const name = `resize_${mode} nc=${nc} h=${h} w=${w} oh=${oh} ow=${ow} sf=${sf ?? '-'} ac=${ac} [${rt.build}]`;
      const fwdRef = mode === 'nearest' ? resize_nearest_fwd_ref : resize_bilinear_fwd_ref;
      const bwdRef = mode === 'nearest' ? resize_nearest_bwd_ref : resize_bilinear_bwd_ref;
      t(`${name} fwd`, () => {
        const X = rand(nc * h * w, nc * 7 + h * 13 + w);
        expectClose(forward(rt, g, X), fwdRef(X, ref), `${name} fwd`, 1e-5);
      });
      t(`${name} bwd`, () => {
        const G = rand(nc * oh * ow, oh * 11 + ow);
        const gy = put(rt, G),
          gx = put(rt, new Float32Array(nc * h * w).fill(NaN));
        resizeBackward(rt, g, gy, gx);
        const got = get(rt, gx);
        freeAll(rt, gy, gx);
        expectClose(got, bwdRef(G, ref), `${name} bwd`, 1e-5);
        if (nc * h * w <= 100) {
          const fd = numericGrad((xs) => forward(rt, g, xs), rand(nc * h * w, 3), G);
          expectClose(got, fd, `${name} bwd vs finite differences`, 1e-2);
        }
      });
    }
  }
}

t('resize bindings reject short buffers and bad sizes', () => {
  const rt = rts[0];
  const g = geometry(1, 3, 3, 6, 6, 'nearest', false);
  const x = put(rt, new Float32Array(9)),
    y = put(rt, new Float32Array(30));
  expectThrows(
    () => resizeForward(rt, g, x, y),
    ['interpolate(nearest)', 'output', '36'],
    'short output'
  );
  expectThrows(() => resizeForward(rt, { ...g, oh: 0 }, x, y), ['output height'], 'zero size');
  freeAll(rt, x, y);
});

t.run();
