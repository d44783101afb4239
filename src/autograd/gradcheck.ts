// Finite-difference check of any differentiable function of tensors: the analytic gradient of
// L = sum(w * f(inputs)) (w fixed, random) from backward() against central differences of L,
// evaluated in f64 over the f32 forward. Inputs are perturbed in place and restored.

import { fillUniform } from '../tensor/random.js';
import { Tensor, fmtShape, tidy } from '../tensor/tensor.js';
import { noGrad } from './tape.js';

export interface GradcheckOptions {
  eps?: number;
  /** Allowed |analytic - numeric| relative to max(|numeric|, the largest |numeric| of that input). */
  rtol?: number;
}

export interface GradcheckReport {
  /** Largest relative error per input. */
  errors: number[];
}

function weightedSum(out: Tensor, w: Float32Array): number {
  const y = out.rawData();
  let s = 0;
  for (let i = 0; i < y.length; i++) s += w[i] * y[i];
  return s;
}

/** Throws with input index, element, analytic and numeric values when a gradient disagrees. */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: GradcheckOptions = {}
): GradcheckReport {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  for (const t of inputs) t.grad = null;
  let w = new Float32Array(0);
  tidy(() => {
    const out = fn(...inputs);
    w = new Float32Array(out.size);
    fillUniform(w, -1, 1);
    const gw = Tensor.empty(out.shape);
    gw.rawData().set(w);
    out.backward(gw);
  });
  const errors: number[] = [];
  inputs.forEach((t, idx) => {
    if (!t.requiresGrad) {
      errors.push(0);
      return;
    }
    const numeric = new Float64Array(t.size);
    for (let i = 0; i < t.size; i++) {
      const old = t.rawData()[i];
      t.rawData()[i] = old + eps;
      const up = noGrad(() => tidy(() => weightedSum(fn(...inputs), w)));
      t.rawData()[i] = old - eps;
      const down = noGrad(() => tidy(() => weightedSum(fn(...inputs), w)));
      t.rawData()[i] = old;
      numeric[i] = (up - down) / (2 * eps);
    }
    const analytic = t.grad ? t.grad.toFloat32Array() : new Float32Array(t.size);
    let scale = 1e-6;
    for (const v of numeric) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (let i = 0; i < t.size; i++) {
      const err = Math.abs(analytic[i] - numeric[i]) / Math.max(Math.abs(numeric[i]), scale);
      worst = Math.max(worst, err);
      if (!(err <= rtol)) {
        throw new Error(
          `gradcheck: input ${idx} ${fmtShape(t.shape)} element ${i}: analytic ` +
            `${analytic[i]}, numeric ${numeric[i]}, relative error ${err.toExponential(2)} > ${rtol}`
        );
      }
    }
    errors.push(worst);
  });
  for (const t of inputs) {
    t.grad?.dispose();
    t.grad = null;
  }
  return { errors };
}
