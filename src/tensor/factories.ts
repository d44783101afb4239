// Random tensors from the global seeded generator (manualSeed).

import { fillNormal, fillUniform } from './random.js';
import { Tensor } from './tensor.js';

/** Standard normal values. */
export function randn(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  const t = Tensor.empty(shape, opts.requiresGrad ?? false);
  fillNormal(t.rawData());
  return t;
}

/** Uniform values in [0, 1). */
export function rand(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
  const t = Tensor.empty(shape, opts.requiresGrad ?? false);
  fillUniform(t.rawData(), 0, 1);
  return t;
}
