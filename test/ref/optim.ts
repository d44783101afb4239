// Plain references for assembly/optim.ts: torch.optim.SGD and Adam/AdamW update rules written
// out per element in f64, state kept between calls by the caller.

export interface SgdRefOpts {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One SGD step in place on param and buf (buf null before the first step); returns buf. */
export function sgd_step_ref(
  param: Float64Array,
  grad: ArrayLike<number>,
  buf: Float64Array | null,
  o: SgdRefOpts
): Float64Array | null {
  const out = o.momentum !== 0 ? (buf ?? new Float64Array(param.length)) : null;
  for (let i = 0; i < param.length; i++) {
    let d = grad[i] + o.weightDecay * param[i];
    if (out) {
      out[i] = buf ? o.momentum * out[i] + (1 - o.dampening) * d : d;
      d = o.nesterov ? d + o.momentum * out[i] : out[i];
    }
    param[i] -= o.lr * d;
  }
  return out;
}

export interface AdamRefOpts {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

/** One Adam (or AdamW) step at step t >= 1, in place on param, m and v. */
export function adam_step_ref(
  param: Float64Array,
  grad: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  t: number,
  o: AdamRefOpts
): void {
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  for (let i = 0; i < param.length; i++) {
    let g = grad[i];
    if (o.decoupled) param[i] *= 1 - o.lr * o.weightDecay;
    else g += o.weightDecay * param[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    param[i] -= ((o.lr / bc1) * m[i]) / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps);
  }
}
