// Normalisation layers over NCHW activations, and the smooth activations of modern CNNs:
//   batchnorm2d   statistics per channel over (N, H, W); train (batch statistics, running
//                 averages updated) and eval (running statistics) forward, one backward
//   layernorm2d   statistics per pixel over C (ConvNeXt's channels-first LayerNorm)
//   gelu_* and silu_* are re-exported from pointwise.ts
// Tests: test/assembly/norm.test.ts against test/ref/norm.ts.

import { hsum, madd } from "./simd";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Sum of n floats at p (4 lanes, pairwise at the end), in f64 for the tail. */
function rowSum(p: usize, n: i32): f64 {
  let v = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v = f32x4.add(v, v128.load(at(p, i)));
  let s: f64 = <f64>hsum(v);
  for (; i < n; i++) s += <f64>load<f32>(at(p, i));
  return s;
}

/** Sum of (x - m)^2 over n floats at p. */
function rowSqDev(p: usize, n: i32, m: f32): f64 {
  const mv = f32x4.splat(m);
  let v = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(at(p, i)), mv);
    v = madd(d, d, v);
  }
  let s: f64 = <f64>hsum(v);
  for (; i < n; i++) {
    const d = <f64>(load<f32>(at(p, i)) - m);
    s += d * d;
  }
  return s;
}

/** y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c] over one plane of n values. */
function affinePlane(x: usize, y: usize, n: i32, mean: f32, scale: f32, shift: f32): void {
  // y = x * scale + (shift - mean * scale)
  const a = f32x4.splat(scale);
  const b = f32x4.splat(shift - mean * scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), madd(v128.load(at(x, i)), a, b));
  const bs = shift - mean * scale;
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(x, i)) * scale + bs);
}

/**
 * Training-mode batch norm: per channel, the batch mean and biased variance over N*HW values
 * normalise x; saveMean/saveInvstd keep them for the backward; runningMean/runningVar (if not
 * 0) move by momentum toward the batch mean and the unbiased variance, as in PyTorch.
 * gamma/beta 0: no affine.
 */
export function batchnorm2d_fwd_train(x: usize, y: usize, gamma: usize, beta: usize,
  saveMean: usize, saveInvstd: usize, runningMean: usize, runningVar: usize,
  N: i32, C: i32, HW: i32, eps: f32, momentum: f32): void {
  const M = <f64>N * <f64>HW;
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += rowSum(at(x, (n * C + c) * HW), HW);
    const mean = <f32>(s / M);
    let q: f64 = 0;
    for (let n = 0; n < N; n++) q += rowSqDev(at(x, (n * C + c) * HW), HW, mean);
    const varB = q / M;
    const invstd = <f32>(1.0 / Math.sqrt(varB + <f64>eps));
    store<f32>(at(saveMean, c), mean);
    store<f32>(at(saveInvstd, c), invstd);
    if (runningMean) {
      const unbiased = M > 1 ? q / (M - 1) : varB;
      store<f32>(at(runningMean, c), (1 - momentum) * load<f32>(at(runningMean, c)) + momentum * mean);
      store<f32>(at(runningVar, c), (1 - momentum) * load<f32>(at(runningVar, c)) + momentum * <f32>unbiased);
    }
    const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
    const b: f32 = beta ? load<f32>(at(beta, c)) : 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      affinePlane(at(x, o), at(y, o), HW, mean, invstd * g, b);
    }
  }
}

/** Eval-mode batch norm with the running statistics. */
export function batchnorm2d_fwd_eval(x: usize, y: usize, gamma: usize, beta: usize,
  runningMean: usize, runningVar: usize, N: i32, C: i32, HW: i32, eps: f32): void {
  for (let c = 0; c < C; c++) {
    const mean = load<f32>(at(runningMean, c));
    const invstd = <f32>(1.0 / Math.sqrt(<f64>load<f32>(at(runningVar, c)) + <f64>eps));
    const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
    const b: f32 = beta ? load<f32>(at(beta, c)) : 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      affinePlane(at(x, o), at(y, o), HW, mean, invstd * g, b);
    }
  }
}

/**
 * Backward of training-mode batch norm. With xhat = (x - mean) * invstd and M = N*HW:
 * dbeta = sum dy, dgamma = sum dy*xhat, dx = gamma*invstd/M * (M*dy - dbeta - xhat*dgamma).
 * gx, gGamma, gBeta may be 0 (not needed).
 */
export function batchnorm2d_bwd(x: usize, gy: usize, gamma: usize, saveMean: usize,
  saveInvstd: usize, gx: usize, gGamma: usize, gBeta: usize, N: i32, C: i32, HW: i32): void {
  const M = <f32>(<f64>N * <f64>HW);
  for (let c = 0; c < C; c++) {
    const mean = load<f32>(at(saveMean, c));
    const invstd = load<f32>(at(saveInvstd, c));
    let sdy: f64 = 0;
    let sdyx: f64 = 0;
    const mv = f32x4.splat(mean);
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      const xp = at(x, o);
      const gp = at(gy, o);
      let a = f32x4.splat(0);
      let b = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const g = v128.load(at(gp, i));
        a = f32x4.add(a, g);
        b = madd(g, f32x4.sub(v128.load(at(xp, i)), mv), b);
      }
      sdy += <f64>hsum(a);
      sdyx += <f64>hsum(b);
      for (; i < HW; i++) {
        const g = load<f32>(at(gp, i));
        sdy += <f64>g;
        sdyx += <f64>(g * (load<f32>(at(xp, i)) - mean));
      }
    }
    const dbeta = <f32>sdy;
    const dgamma = <f32>(sdyx * <f64>invstd);
    if (gBeta) store<f32>(at(gBeta, c), dbeta);
    if (gGamma) store<f32>(at(gGamma, c), dgamma);
    if (!gx) continue;
    const gm: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
    // dx = k * (dy - dbeta/M - (x - mean) * invstd^2 * dgamma / invstd / M)
    const k = gm * invstd;
    const cB = dbeta / M;
    const cX = dgamma * invstd / M;
    const kv = f32x4.splat(k);
    const bv = f32x4.splat(cB);
    const xv = f32x4.splat(cX);
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      const xp = at(x, o);
      const gp = at(gy, o);
      const dp = at(gx, o);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const xh = f32x4.sub(v128.load(at(xp, i)), mv);
        const t = f32x4.sub(f32x4.sub(v128.load(at(gp, i)), bv), f32x4.mul(xh, xv));
        v128.store(at(dp, i), f32x4.mul(t, kv));
      }
      for (; i < HW; i++) {
        const xh = load<f32>(at(xp, i)) - mean;
        store<f32>(at(dp, i), k * (load<f32>(at(gp, i)) - cB - xh * cX));
      }
    }
  }
}

/**
 * Channels-first layer norm: for each image n and pixel p, x[n, :, p] is normalised over its
 * C channels, then y = xhat * gamma[c] + beta[c]. Pixels go 4 at a time (they are contiguous in
 * NCHW); mean and invstd per (n, p) are saved for the backward.
 */
export function layernorm2d_fwd(x: usize, y: usize, gamma: usize, beta: usize, saveMean: usize,
  saveInvstd: usize, N: i32, C: i32, HW: i32, eps: f32): void {
  const invC = f32x4.splat(1 / <f32>C);
  const ev = f32x4.splat(eps);
  const one = f32x4.splat(1);
  for (let n = 0; n < N; n++) {
    const xn = at(x, n * C * HW);
    const yn = at(y, n * C * HW);
    let p = 0;
    for (; p + 4 <= HW; p += 4) {
      let s = f32x4.splat(0);
      for (let c = 0; c < C; c++) s = f32x4.add(s, v128.load(at(xn, c * HW + p)));
      const m = f32x4.mul(s, invC);
      let q = f32x4.splat(0);
      for (let c = 0; c < C; c++) {
        const d = f32x4.sub(v128.load(at(xn, c * HW + p)), m);
        q = madd(d, d, q);
      }
      const inv = f32x4.div(one, f32x4.sqrt(f32x4.add(f32x4.mul(q, invC), ev)));
      v128.store(at(saveMean, n * HW + p), m);
      v128.store(at(saveInvstd, n * HW + p), inv);
      for (let c = 0; c < C; c++) {
        const xh = f32x4.mul(f32x4.sub(v128.load(at(xn, c * HW + p)), m), inv);
        const g = gamma ? v128.load32_splat(at(gamma, c)) : one;
        const b = beta ? v128.load32_splat(at(beta, c)) : f32x4.splat(0);
        v128.store(at(yn, c * HW + p), madd(xh, g, b));
      }
    }
    for (; p < HW; p++) {
      let s: f32 = 0;
      for (let c = 0; c < C; c++) s += load<f32>(at(xn, c * HW + p));
      const m = s / <f32>C;
      let q: f32 = 0;
      for (let c = 0; c < C; c++) {
        const d = load<f32>(at(xn, c * HW + p)) - m;
        q += d * d;
      }
      const inv = <f32>1 / Mathf.sqrt(q / <f32>C + eps);
      store<f32>(at(saveMean, n * HW + p), m);
      store<f32>(at(saveInvstd, n * HW + p), inv);
      for (let c = 0; c < C; c++) {
        const xh = (load<f32>(at(xn, c * HW + p)) - m) * inv;
        const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
        const b: f32 = beta ? load<f32>(at(beta, c)) : 0;
        store<f32>(at(yn, c * HW + p), xh * g + b);
      }
    }
  }
}

/**
 * Backward of layernorm2d_fwd. Per pixel, with dxh = dy * gamma:
 * dx = invstd * (dxh - mean_c(dxh) - xhat * mean_c(dxh * xhat)); gGamma[c] = sum dy*xhat,
 * gBeta[c] = sum dy (overwritten). Pixels go 4 at a time as in the forward (lane k is pixel
 * p + k, with its own mean and invstd); gGamma and gBeta add each channel's four lanes at once.
 */
export function layernorm2d_bwd(x: usize, gy: usize, gamma: usize, saveMean: usize,
  saveInvstd: usize, gx: usize, gGamma: usize, gBeta: usize, N: i32, C: i32, HW: i32): void {
  if (gGamma) memory.fill(gGamma, 0, <usize>C << 2);
  if (gBeta) memory.fill(gBeta, 0, <usize>C << 2);
  const vc = f32x4.splat(<f32>C);
  for (let n = 0; n < N; n++) {
    const xn = at(x, n * C * HW);
    const gyn = at(gy, n * C * HW);
    let p = 0;
    for (; p + 4 <= HW; p += 4) {
      const m = v128.load(at(saveMean, n * HW + p));
      const inv = v128.load(at(saveInvstd, n * HW + p));
      let a = f32x4.splat(0);
      let b = f32x4.splat(0);
      for (let c = 0; c < C; c++) {
        const xh = f32x4.mul(f32x4.sub(v128.load(at(xn, c * HW + p)), m), inv);
        const dy = v128.load(at(gyn, c * HW + p));
        const dxh = gamma ? f32x4.mul(dy, v128.load32_splat(at(gamma, c))) : dy;
        // mul then add, not madd: the same rounding as the scalar pixels in both builds.
        a = f32x4.add(a, dxh);
        b = f32x4.add(b, f32x4.mul(dxh, xh));
        if (gGamma) store<f32>(at(gGamma, c), load<f32>(at(gGamma, c)) + hsum(f32x4.mul(dy, xh)));
        if (gBeta) store<f32>(at(gBeta, c), load<f32>(at(gBeta, c)) + hsum(dy));
      }
      if (!gx) continue;
      a = f32x4.div(a, vc);
      b = f32x4.div(b, vc);
      const gxn = at(gx, n * C * HW);
      for (let c = 0; c < C; c++) {
        const xh = f32x4.mul(f32x4.sub(v128.load(at(xn, c * HW + p)), m), inv);
        const dy = v128.load(at(gyn, c * HW + p));
        const dxh = gamma ? f32x4.mul(dy, v128.load32_splat(at(gamma, c))) : dy;
        const d = f32x4.sub(f32x4.sub(dxh, a), f32x4.mul(xh, b));
        v128.store(at(gxn, c * HW + p), f32x4.mul(inv, d));
      }
    }
    for (; p < HW; p++) {
      const m = load<f32>(at(saveMean, n * HW + p));
      const inv = load<f32>(at(saveInvstd, n * HW + p));
      let a: f32 = 0;
      let b: f32 = 0;
      for (let c = 0; c < C; c++) {
        const i = (n * C + c) * HW + p;
        const xh = (load<f32>(at(x, i)) - m) * inv;
        const dy = load<f32>(at(gy, i));
        const dxh = dy * (gamma ? load<f32>(at(gamma, c)) : 1);
        a += dxh;
        b += dxh * xh;
        if (gGamma) store<f32>(at(gGamma, c), load<f32>(at(gGamma, c)) + dy * xh);
        if (gBeta) store<f32>(at(gBeta, c), load<f32>(at(gBeta, c)) + dy);
      }
      if (!gx) continue;
      a /= <f32>C;
      b /= <f32>C;
      for (let c = 0; c < C; c++) {
        const i = (n * C + c) * HW + p;
        const xh = (load<f32>(at(x, i)) - m) * inv;
        const dxh = load<f32>(at(gy, i)) * (gamma ? load<f32>(at(gamma, c)) : 1);
        store<f32>(at(gx, i), inv * (dxh - a - xh * b));
      }
    }
  }
}

// GELU and SiLU are vectorised pointwise kernels; exported from here as before.
export { gelu_fwd, gelu_bwd, silu_fwd, silu_bwd } from "./pointwise";

/**
 * Layer norm over the last D values of R rows (F.layerNorm on [..., D]): per row the mean and
 * biased variance, y = xhat * gamma[j] + beta[j] (gamma/beta 0: no affine); mean and invstd per
 * row are saved for the backward.
 */
export function layernorm_fwd_rows(x: usize, y: usize, gamma: usize, beta: usize,
  saveMean: usize, saveInvstd: usize, R: i32, D: i32, eps: f32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  for (let r = 0; r < R; r++) {
    const xr = at(x, r * D);
    const yr = at(y, r * D);
    const mean = <f32>(rowSum(xr, D) / <f64>D);
    const invstd = <f32>(1.0 / Math.sqrt(rowSqDev(xr, D, mean) / <f64>D + <f64>eps));
    store<f32>(at(saveMean, r), mean);
    store<f32>(at(saveInvstd, r), invstd);
    const mv = f32x4.splat(mean);
    const iv = f32x4.splat(invstd);
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), mv), iv);
      const g = gamma ? v128.load(at(gamma, j)) : one;
      const b = beta ? v128.load(at(beta, j)) : zero;
      v128.store(at(yr, j), madd(xh, g, b));
    }
    for (; j < D; j++) {
      const xh = (load<f32>(at(xr, j)) - mean) * invstd;
      const g: f32 = gamma ? load<f32>(at(gamma, j)) : 1;
      const b: f32 = beta ? load<f32>(at(beta, j)) : 0;
      store<f32>(at(yr, j), xh * g + b);
    }
  }
}

/**
 * Backward of layernorm_fwd_rows. Per row, with dxh = dy * gamma:
 * dx = invstd * (dxh - mean(dxh) - xhat * mean(dxh * xhat)); gGamma[j] = sum over rows of
 * dy * xhat, gBeta[j] = sum of dy (overwritten). gx, gGamma, gBeta may be 0 (not needed).
 */
export function layernorm_bwd_rows(x: usize, gy: usize, gamma: usize, saveMean: usize,
  saveInvstd: usize, gx: usize, gGamma: usize, gBeta: usize, R: i32, D: i32): void {
  if (gGamma) memory.fill(gGamma, 0, <usize>D << 2);
  if (gBeta) memory.fill(gBeta, 0, <usize>D << 2);
  const one = f32x4.splat(1);
  for (let r = 0; r < R; r++) {
    const xr = at(x, r * D);
    const gr = at(gy, r * D);
    const mean = load<f32>(at(saveMean, r));
    const invstd = load<f32>(at(saveInvstd, r));
    const mv = f32x4.splat(mean);
    const iv = f32x4.splat(invstd);
    let va = f32x4.splat(0);
    let vb = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), mv), iv);
      const dy = v128.load(at(gr, j));
      const dxh = f32x4.mul(dy, gamma ? v128.load(at(gamma, j)) : one);
      va = f32x4.add(va, dxh);
      vb = madd(dxh, xh, vb);
      if (gGamma) v128.store(at(gGamma, j), madd(dy, xh, v128.load(at(gGamma, j))));
      if (gBeta) v128.store(at(gBeta, j), f32x4.add(dy, v128.load(at(gBeta, j))));
    }
    let a: f64 = <f64>hsum(va);
    let b: f64 = <f64>hsum(vb);
    for (; j < D; j++) {
      const xh = (load<f32>(at(xr, j)) - mean) * invstd;
      const dy = load<f32>(at(gr, j));
      const dxh = dy * (gamma ? load<f32>(at(gamma, j)) : <f32>1);
      a += <f64>dxh;
      b += <f64>(dxh * xh);
      if (gGamma) store<f32>(at(gGamma, j), load<f32>(at(gGamma, j)) + dy * xh);
      if (gBeta) store<f32>(at(gBeta, j), load<f32>(at(gBeta, j)) + dy);
    }
    if (!gx) continue;
    const ma = <f32>(a / <f64>D);
    const mb = <f32>(b / <f64>D);
    const av = f32x4.splat(ma);
    const bv = f32x4.splat(mb);
    const dr = at(gx, r * D);
    j = 0;
    for (; j + 4 <= D; j += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), mv), iv);
      const dxh = f32x4.mul(v128.load(at(gr, j)), gamma ? v128.load(at(gamma, j)) : one);
      const t = f32x4.sub(f32x4.sub(dxh, av), f32x4.mul(xh, bv));
      v128.store(at(dr, j), f32x4.mul(t, iv));
    }
    for (; j < D; j++) {
      const xh = (load<f32>(at(xr, j)) - mean) * invstd;
      const dxh = load<f32>(at(gr, j)) * (gamma ? load<f32>(at(gamma, j)) : <f32>1);
      store<f32>(at(dr, j), invstd * (dxh - ma - xh * mb));
    }
  }
}

/**
 * Group norm over [N, C, HW]: statistics per (sample, group of C/G channels), a contiguous span
 * of C/G*HW values, then the per-channel affine y = xhat * gamma[c] + beta[c]. mean and invstd
 * per (n, g) are saved for the backward.
 */
export function groupnorm_fwd_nchw(x: usize, y: usize, gamma: usize, beta: usize,
  saveMean: usize, saveInvstd: usize, N: i32, C: i32, HW: i32, G: i32, eps: f32): void {
  const Cg = C / G;
  const M = Cg * HW;
  for (let ng = 0; ng < N * G; ng++) {
    const o = ng * M;
    const mean = <f32>(rowSum(at(x, o), M) / <f64>M);
    const invstd = <f32>(1.0 / Math.sqrt(rowSqDev(at(x, o), M, mean) / <f64>M + <f64>eps));
    store<f32>(at(saveMean, ng), mean);
    store<f32>(at(saveInvstd, ng), invstd);
    const c0 = (ng % G) * Cg;
    for (let k = 0; k < Cg; k++) {
      const c = c0 + k;
      const g: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
      const b: f32 = beta ? load<f32>(at(beta, c)) : 0;
      affinePlane(at(x, o + k * HW), at(y, o + k * HW), HW, mean, invstd * g, b);
    }
  }
}

/**
 * Backward of groupnorm_fwd_nchw. Per channel plane: sdy = sum dy, sdyx = sum dy * (x - mean);
 * per group (M = C/G*HW values), with dxh = dy * gamma[c]: a = sum dxh, b = sum dxh * xhat and
 * dx = invstd * (dxh - a/M - xhat * b/M). gGamma[c] = sum dy*xhat, gBeta[c] = sum dy
 * (overwritten). gx, gGamma, gBeta may be 0.
 */
export function groupnorm_bwd_nchw(x: usize, gy: usize, gamma: usize, saveMean: usize,
  saveInvstd: usize, gx: usize, gGamma: usize, gBeta: usize, N: i32, C: i32, HW: i32,
  G: i32): void {
  const Cg = C / G;
  const M = Cg * HW;
  if (gGamma) memory.fill(gGamma, 0, <usize>C << 2);
  if (gBeta) memory.fill(gBeta, 0, <usize>C << 2);
  for (let ng = 0; ng < N * G; ng++) {
    const o = ng * M;
    const mean = load<f32>(at(saveMean, ng));
    const invstd = load<f32>(at(saveInvstd, ng));
    const mv = f32x4.splat(mean);
    const c0 = (ng % G) * Cg;
    let a: f64 = 0;
    let b: f64 = 0;
    for (let k = 0; k < Cg; k++) {
      const c = c0 + k;
      const xp = at(x, o + k * HW);
      const gp = at(gy, o + k * HW);
      let va = f32x4.splat(0);
      let vb = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const g = v128.load(at(gp, i));
        va = f32x4.add(va, g);
        vb = madd(g, f32x4.sub(v128.load(at(xp, i)), mv), vb);
      }
      let sdy: f64 = <f64>hsum(va);
      let sdyx: f64 = <f64>hsum(vb);
      for (; i < HW; i++) {
        const g = load<f32>(at(gp, i));
        sdy += <f64>g;
        sdyx += <f64>(g * (load<f32>(at(xp, i)) - mean));
      }
      if (gGamma) store<f32>(at(gGamma, c), load<f32>(at(gGamma, c)) + <f32>(sdyx * <f64>invstd));
      if (gBeta) store<f32>(at(gBeta, c), load<f32>(at(gBeta, c)) + <f32>sdy);
      const gm: f64 = gamma ? <f64>load<f32>(at(gamma, c)) : 1;
      a += gm * sdy;
      b += gm * sdyx * <f64>invstd;
    }
    if (!gx) continue;
    const ma = <f32>(a / <f64>M);
    const mb = <f32>(b / <f64>M);
    for (let k = 0; k < Cg; k++) {
      const c = c0 + k;
      const gm: f32 = gamma ? load<f32>(at(gamma, c)) : 1;
      // dx = invstd * gm * dy - invstd * ma - invstd^2 * mb * (x - mean)
      const s = invstd * gm;
      const cx = invstd * invstd * mb;
      const c1 = invstd * ma - cx * mean;
      const sv = f32x4.splat(s);
      const xv = f32x4.splat(cx);
      const cv = f32x4.splat(c1);
      const xp = at(x, o + k * HW);
      const gp = at(gy, o + k * HW);
      const dp = at(gx, o + k * HW);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const t = f32x4.sub(f32x4.mul(v128.load(at(gp, i)), sv), f32x4.mul(v128.load(at(xp, i)), xv));
        v128.store(at(dp, i), f32x4.sub(t, cv));
      }
      for (; i < HW; i++) {
        store<f32>(at(dp, i), load<f32>(at(gp, i)) * s - load<f32>(at(xp, i)) * cx - c1);
      }
    }
  }
}
