// Central finite differences for kernel backward checks. For y = f(x) and a fixed random
// upstream gradient g, the directional derivative of L = sum(g * y) along each coordinate of x is
// (L(x + eps e_i) - L(x - eps e_i)) / (2 eps), accumulated in f64 from the f32 forward.

/** Numerical gradient of L(x) = sum(g * f(x)) with respect to x. */
export function numericGrad(
  f: (x: Float32Array) => ArrayLike<number>,
  x: Float32Array,
  g: ArrayLike<number>,
  eps = 1e-2
): Float64Array {
  const grad = new Float64Array(x.length);
  const xp = Float32Array.from(x);
  const loss = (): number => {
    const y = f(xp);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += g[i] * y[i];
    return s;
  };
  for (let i = 0; i < x.length; i++) {
    const old = xp[i];
    xp[i] = old + eps;
    const up = loss();
    xp[i] = old - eps;
    const down = loss();
    xp[i] = old;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}
