// Optimizer steps over one flat f32 parameter tensor, in place: SGD (momentum, dampening,
// Nesterov, L2 weight decay) and Adam / AdamW, each following the order of operations of
// torch.optim's single-tensor CPU path. Hyper-parameters arrive as f64 (JavaScript numbers);
// derived scalars are computed in f64 and rounded once to f32, as PyTorch does with its Python
// floats. Tests: test/assembly/optim.test.ts against test/ref/optim.ts.

import { madd } from "./simd";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/**
 * torch.optim.SGD for n values:
 *   d = grad + weightDecay * param
 *   if momentum != 0: buf = firstStep ? d : momentum * buf + (1 - dampening) * d
 *                     d = nesterov ? d + momentum * buf : buf
 *   param -= lr * d
 * momentumBuf is read only when momentum != 0 and not firstStep, written when momentum != 0.
 */
export function sgd_step(param: usize, grad: usize, momentumBuf: usize, n: i32, lr: f64,
  momentum: f64, dampening: f64, weightDecay: f64, nesterov: i32, firstStep: i32): void {
  const useWd = weightDecay != 0;
  const useMom = momentum != 0;
  const first = firstStep != 0;
  const nest = nesterov != 0;
  const negLr = <f32>-lr;
  const wd = <f32>weightDecay;
  const mom = <f32>momentum;
  const keep = <f32>(1 - dampening);
  const vNegLr = f32x4.splat(negLr);
  const vWd = f32x4.splat(wd);
  const vMom = f32x4.splat(mom);
  const vKeep = f32x4.splat(keep);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = v128.load(at(param, i));
    let d = v128.load(at(grad, i));
    if (useWd) d = madd(vWd, p, d);
    if (useMom) {
      const buf = first ? d : madd(vKeep, d, f32x4.mul(v128.load(at(momentumBuf, i)), vMom));
      v128.store(at(momentumBuf, i), buf);
      d = nest ? madd(vMom, buf, d) : buf;
    }
    v128.store(at(param, i), madd(vNegLr, d, p));
  }
  for (; i < n; i++) {
    const p = load<f32>(at(param, i));
    let d = load<f32>(at(grad, i));
    if (useWd) d = wd * p + d;
    if (useMom) {
      const buf = first ? d : keep * d + load<f32>(at(momentumBuf, i)) * mom;
      store<f32>(at(momentumBuf, i), buf);
      d = nest ? mom * buf + d : buf;
    }
    store<f32>(at(param, i), negLr * d + p);
  }
}

/**
 * torch.optim.Adam (decoupled = 0: L2, grad += weightDecay * param) or torch.optim.AdamW
 * (decoupled = 1: param *= 1 - lr * weightDecay) for n values at step t (1 on the first call):
 *   m = lerp(m, grad, 1 - beta1)            (PyTorch's lerp: two formulas either side of 0.5)
 *   v = beta2 * v + (1 - beta2) * grad^2
 *   param += (-lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 */
export function adam_step(param: usize, grad: usize, m: usize, v: usize, n: i32, lr: f64,
  beta1: f64, beta2: f64, eps: f64, weightDecay: f64, step: i32, decoupled: i32): void {
  const useWd = weightDecay != 0;
  const dec = decoupled != 0;
  const wd = <f32>weightDecay;
  const decay = <f32>(1 - lr * weightDecay);
  const w = <f32>(1 - beta1);
  const lowWeight = w < 0.5;
  const wOther = <f32>(1 - <f64>w);
  const b2 = <f32>beta2;
  const c2 = <f32>(1 - beta2);
  const negStep = <f32>(-lr / (1 - Math.pow(beta1, <f64>step)));
  const bc2sqrt = <f32>Math.sqrt(1 - Math.pow(beta2, <f64>step));
  const e = <f32>eps;
  const vWd = f32x4.splat(wd);
  const vDecay = f32x4.splat(decay);
  const vW = f32x4.splat(w);
  const vWOther = f32x4.splat(wOther);
  const vB2 = f32x4.splat(b2);
  const vC2 = f32x4.splat(c2);
  const vNegStep = f32x4.splat(negStep);
  const vBc2 = f32x4.splat(bc2sqrt);
  const vEps = f32x4.splat(e);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let p = v128.load(at(param, i));
    let g = v128.load(at(grad, i));
    if (useWd) {
      if (dec) {
        p = f32x4.mul(p, vDecay);
      } else {
        g = madd(vWd, p, g);
      }
    }
    let mi = v128.load(at(m, i));
    const diff = f32x4.sub(g, mi);
    mi = lowWeight ? madd(vW, diff, mi) : f32x4.sub(g, f32x4.mul(diff, vWOther));
    v128.store(at(m, i), mi);
    const vi = madd(vC2, f32x4.mul(g, g), f32x4.mul(v128.load(at(v, i)), vB2));
    v128.store(at(v, i), vi);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vBc2), vEps);
    p = f32x4.add(p, f32x4.div(f32x4.mul(vNegStep, mi), denom));
    v128.store(at(param, i), p);
  }
  for (; i < n; i++) {
    let p = load<f32>(at(param, i));
    let g = load<f32>(at(grad, i));
    if (useWd) {
      if (dec) {
        p = p * decay;
      } else {
        g = wd * p + g;
      }
    }
    let mi = load<f32>(at(m, i));
    const diff = g - mi;
    mi = lowWeight ? w * diff + mi : g - diff * wOther;
    store<f32>(at(m, i), mi);
    const vi = c2 * (g * g) + load<f32>(at(v, i)) * b2;
    store<f32>(at(v, i), vi);
    const denom = Mathf.sqrt(vi) / bc2sqrt + e;
    store<f32>(at(param, i), p + negStep * mi / denom);
  }
}
