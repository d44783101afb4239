// The conv kernel checks that test/assembly/conv.test.ts and dwconv.test.ts share: a case's
// geometry and buffer sizes, the forward (with and without the fused ReLU) and both backward
// kernels against test/ref/conv.ts, and the backward kernels against finite differences of the
// forward kernel itself, on every build.
import type { Test } from 'uvu';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  type Conv2dGeometry,
} from '../../src/runtime/kernels/conv.js';
import type { Runtime } from '../../src/runtime/load.js';
import { numericGrad } from '../fd.js';
import { conv2d_bwd_input_ref, conv2d_bwd_weight_ref, conv2d_fwd_ref } from '../ref/conv.js';
import { expectClose, freeAll, get, put, rand } from '../util.js';

export type P2 = number | [number, number];

export interface ConvCase {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output channels (default c). */
  o?: number;
  k: P2;
  s?: P2;
  p?: P2;
  d?: number;
  /** Groups (default 1). */
  g?: number;
}

export const pair = (v: P2 | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

export function label(op: string, cs: ConvCase, rt: Runtime): string {
  const [kh, kw] = pair(cs.k, 1);
  const [sh, sw] = pair(cs.s, 1);
  const [ph, pw] = pair(cs.p, 0);
  return (
    `${op} n=${cs.n} c=${cs.c} h=${cs.h} w=${cs.w} o=${cs.o ?? cs.c} k=${kh}x${kw} s=${sh}x${sw} ` +
    `p=${ph}x${pw} d=${cs.d ?? 1} g=${cs.g ?? 1} [${rt.build}]`
  );
}

export function geometry(cs: ConvCase): Conv2dGeometry {
  const [kh, kw] = pair(cs.k, 1);
  const g = cs.g ?? 1;
  return conv2dGeometry([cs.n, cs.c, cs.h, cs.w], [cs.o ?? cs.c, cs.c / g, kh, kw], {
    stride: cs.s,
    padding: cs.p,
    dilation: cs.d,
    groups: g,
  });
}

export function sizes(g: Conv2dGeometry): { x: number; w: number; y: number } {
  return {
    x: g.n * g.c * g.h * g.w,
    w: g.o * (g.c / g.groups) * g.kh * g.kw,
    y: g.n * g.o * g.oh * g.ow,
  };
}

export interface RefCheckOptions {
  /** Test-name prefix (conv2d, dwconv2d). */
  op: string;
  /** rand() seeds of x, w, bias and gy (each plus the case's index). */
  seeds: [number, number, number, number];
  /** Pass the bias to the forward only with the fused ReLU (else always). */
  biasOnlyWithRelu?: boolean;
}

/** Forward (plain and fused ReLU), backward-input and backward-weight of every case against the
 * plain reference, on every build; outputs start as NaN so an unwritten value fails. */
export function refTests(t: Test, rts: Runtime[], cases: ConvCase[], o: RefCheckOptions): void {
  for (const rt of rts) {
    for (const [ci, cs] of cases.entries()) {
      const g = geometry(cs);
      const sz = sizes(g);
      const X = rand(sz.x, o.seeds[0] + ci),
        W = rand(sz.w, o.seeds[1] + ci),
        B = rand(g.o, o.seeds[2] + ci),
        GY = rand(sz.y, o.seeds[3] + ci);
      for (const relu of [false, true]) {
        const name = label(`${o.op}_fwd${relu ? '_relu' : ''}`, cs, rt);
        const withBias = relu || !o.biasOnlyWithRelu;
        t(name, () => {
          const x = put(rt, X),
            w = put(rt, W),
            b = put(rt, B),
            y = put(rt, new Float32Array(sz.y).fill(NaN));
          conv2dForward(rt, g, x, w, withBias ? b : null, y, relu);
          expectClose(get(rt, y), conv2d_fwd_ref(g, X, W, withBias ? B : null, relu), name);
          freeAll(rt, x, w, b, y);
        });
      }
      t(label(`${o.op}_bwd_input`, cs, rt), () => {
        const gy = put(rt, GY),
          w = put(rt, W),
          gx = put(rt, new Float32Array(sz.x).fill(NaN));
        conv2dBackwardInput(rt, g, gy, w, gx);
        expectClose(
          get(rt, gx),
          conv2d_bwd_input_ref(g, GY, W),
          label(`${o.op}_bwd_input`, cs, rt)
        );
        freeAll(rt, gy, w, gx);
      });
      t(label(`${o.op}_bwd_weight`, cs, rt), () => {
        const x = put(rt, X),
          gy = put(rt, GY),
          gw = put(rt, new Float32Array(sz.w).fill(NaN));
        conv2dBackwardWeight(rt, g, x, gy, gw);
        expectClose(
          get(rt, gw),
          conv2d_bwd_weight_ref(g, X, GY),
          label(`${o.op}_bwd_weight`, cs, rt)
        );
        freeAll(rt, x, gy, gw);
      });
    }
  }
}

/** Both backward kernels of every case against finite differences of the forward kernel itself
 * (independent of the reference), on every build. */
export function finiteDiffTests(t: Test, rts: Runtime[], cases: ConvCase[], op: string): void {
  for (const rt of rts) {
    for (const [ci, cs] of cases.entries()) {
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
      t(label(`${op}_bwd_input finite-diff`, cs, rt), () => {
        const gy = put(rt, GY),
          w = put(rt, W),
          gx = put(rt, new Float32Array(sz.x));
        conv2dBackwardInput(rt, g, gy, w, gx);
        expectClose(
          get(rt, gx),
          numericGrad((xv) => forward(xv, W), X, GY),
          label(`${op}_bwd_input fd`, cs, rt),
          1e-2
        );
        freeAll(rt, gy, w, gx);
      });
      t(label(`${op}_bwd_weight finite-diff`, cs, rt), () => {
        const x = put(rt, X),
          gy = put(rt, GY),
          gw = put(rt, new Float32Array(sz.w));
        conv2dBackwardWeight(rt, g, x, gy, gw);
        expectClose(
          get(rt, gw),
          numericGrad((wv) => forward(X, wv), W, GY),
          label(`${op}_bwd_weight fd`, cs, rt),
          1e-2
        );
        freeAll(rt, x, gy, gw);
      });
    }
  }
}
