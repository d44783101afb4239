// Plain reference for assembly/loss.ts: softmax and mean cross-entropy in f64.

/** Returns the softmax probabilities and the mean of -log p[label] over the batch. */
export function softmax_xent_fwd_ref(
  logits: Float32Array,
  labels: ArrayLike<number>,
  b: number,
  k: number
): { probs: Float32Array; loss: number } {
  const probs = new Float32Array(b * k);
  let total = 0;
  for (let i = 0; i < b; i++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, logits[i * k + j]);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(logits[i * k + j] - mx);
    for (let j = 0; j < k; j++) probs[i * k + j] = Math.exp(logits[i * k + j] - mx) / s;
    total += Math.log(s) + mx - logits[i * k + labels[i]];
  }
  return { probs, loss: total / b };
}

/** (probs - onehot) * scale / b. */
export function softmax_xent_bwd_ref(
  probs: Float32Array,
  labels: ArrayLike<number>,
  b: number,
  k: number,
  scale: number
): Float32Array {
  const g = new Float32Array(b * k);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < k; j++) {
      g[i * k + j] = ((probs[i * k + j] - (j === labels[i] ? 1 : 0)) * scale) / b;
    }
  }
  return g;
}
