// Softmax + cross-entropy over logits [B, K] (row-major) with i32 class labels [B]: the forward
// returns the mean loss and keeps the probabilities for the backward. exp is scalar (Mathf.exp):
// K is a class count, small next to the row max and scaling, which run 4 lanes at a time.
// Tests: test/assembly/loss.test.ts against test/ref/loss.ts.

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** Largest of x[0..K); NaN propagates (f32x4.max and f32.max both return NaN). */
// @ts-ignore: decorator
@inline function row_max(x: usize, K: i32): f32 {
  let m: f32 = load<f32>(x);
  let j = 0;
  if (K >= 4) {
    let v = v128.load(x);
    for (j = 4; j + 4 <= K; j += 4) v = f32x4.max(v, v128.load(at(x, j)));
    m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
      max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  }
  for (; j < K; j++) m = max(m, load<f32>(at(x, j)));
  return m;
}

/**
 * probs[b] = softmax(logits[b]); returns mean over b of -log softmax(logits[b])[labels[b]],
 * computed as log(sum exp(x - max)) + max - x[label] so nothing overflows or underflows to log 0.
 * Labels must lie in [0, K): the binding checks them.
 */
export function softmax_xent_fwd(logits: usize, labels: usize, probs: usize, B: i32, K: i32): f32 {
  let total: f64 = 0;
  for (let b = 0; b < B; b++) {
    const x = at(logits, b * K);
    const p = at(probs, b * K);
    const mx = row_max(x, K);
    let s: f64 = 0;
    for (let j = 0; j < K; j++) {
      const e = Mathf.exp(load<f32>(at(x, j)) - mx);
      store<f32>(at(p, j), e);
      s += <f64>e;
    }
    const inv = f32x4.splat(<f32>(1.0 / s));
    let j = 0;
    for (; j + 4 <= K; j += 4) v128.store(at(p, j), f32x4.mul(v128.load(at(p, j)), inv));
    for (; j < K; j++) store<f32>(at(p, j), load<f32>(at(p, j)) * f32x4.extract_lane(inv, 0));
    const label = load<i32>(at(labels, b));
    total += Math.log(s) + <f64>mx - <f64>load<f32>(at(x, label));
  }
  return <f32>(total / <f64>B);
}

/** gradLogits = (probs - onehot(labels)) * scale / B, scale being d(upstream)/d(mean loss). */
export function softmax_xent_bwd(probs: usize, labels: usize, gradLogits: usize, B: i32, K: i32,
  scale: f32): void {
  const s = <f32>(<f64>scale / <f64>B);
  const vs = f32x4.splat(s);
  for (let b = 0; b < B; b++) {
    const p = at(probs, b * K);
    const g = at(gradLogits, b * K);
    let j = 0;
    for (; j + 4 <= K; j += 4) v128.store(at(g, j), f32x4.mul(v128.load(at(p, j)), vs));
    for (; j < K; j++) store<f32>(at(g, j), load<f32>(at(p, j)) * s);
    const label = load<i32>(at(labels, b));
    store<f32>(at(g, label), (load<f32>(at(p, label)) - 1) * s);
  }
}
