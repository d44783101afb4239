// Plain references for assembly/pointwise.ts: broadcasting by index arithmetic, every function
// in f64 from its definition (erf by series and continued fraction), rounded once to f32.

export type BinaryRefOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'powGradBase'
  | 'powGradExponent'
  | 'maximumGrad'
  | 'minimumGrad';

export type UnaryRefOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'hardtanh'
  | 'hardswish'
  | 'hardsigmoid'
  | 'gelu'
  | 'silu'
  | 'softplus'
  | 'pow';

/** C's powf conventions (JavaScript's Math.pow differs at 1^NaN and (-1)^inf). */
export function powC(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return a ** b;
}

function bin(op: BinaryRefOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'pow':
      return powC(a, b);
    case 'maximum':
      return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
    case 'minimum':
      return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
    case 'eq':
      return a === b ? 1 : 0;
    case 'ne':
      return a !== b ? 1 : 0;
    case 'lt':
      return a < b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'gt':
      return a > b ? 1 : 0;
    case 'ge':
      return a >= b ? 1 : 0;
    case 'powGradBase':
      return b === 0 ? 0 : b * powC(a, b - 1);
    case 'powGradExponent':
      return a === 0 && b >= 0 ? 0 : powC(a, b) * Math.log(a);
    case 'maximumGrad':
      return a < b ? 0 : a === b ? 0.5 : 1;
    case 'minimumGrad':
      return a > b ? 0 : a === b ? 0.5 : 1;
  }
}

/** NumPy broadcast of two shapes (throws when they do not broadcast). */
export function broadcast_ref(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Offset into a tensor of shape s of the output index idx (trailing-aligned, 1-dims pinned to 0). */
function offsetOf(idx: readonly number[], s: readonly number[]): number {
  let off = 0;
  const lead = idx.length - s.length;
  for (let i = 0; i < s.length; i++) off = off * s[i] + (s[i] === 1 ? 0 : idx[lead + i]);
  return off;
}

function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((p, d) => p * d, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    yield idx;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
}

export function binary_ref(
  op: BinaryRefOp,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[]
): { y: Float32Array; shape: number[] } {
  const shape = broadcast_ref(aShape, bShape);
  const y = new Float32Array(shape.reduce((p, d) => p * d, 1));
  let k = 0;
  for (const idx of indices(shape)) {
    y[k++] = bin(op, a[offsetOf(idx, aShape)], b[offsetOf(idx, bShape)]);
  }
  return { y, shape };
}

/** g [gShape] summed (in f64) down to shape, which broadcasts to gShape. */
export function sum_to_ref(
  g: Float32Array,
  gShape: readonly number[],
  shape: readonly number[]
): Float32Array {
  const acc = new Float64Array(shape.reduce((p, d) => p * d, 1));
  let k = 0;
  for (const idx of indices(gShape)) acc[offsetOf(idx, shape)] += g[k++];
  return Float32Array.from(acc);
}

/** erf(x) to about 1e-15: Maclaurin series below 3, 1 - erfc by continued fraction above. */
export function erf_ref(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 3) return Math.sign(x) * (1 - erfc_cf(ax));
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) for x >= 3: exp(-x^2) / (sqrt(pi) K), K = x + (1/2)/(x + 1/(x + (3/2)/(x + ...))). */
function erfc_cf(x: number): number {
  if (x === Infinity) return 0;
  let k = x;
  for (let n = 80; n >= 1; n--) k = x + n / 2 / k;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * k);
}

/** The standard normal CDF, accurate in the left tail. */
export function phi_ref(x: number): number {
  const z = -x / Math.SQRT2;
  if (z >= 3) return 0.5 * erfc_cf(z);
  return 0.5 * (1 - erf_ref(z));
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function unary_scalar_ref(op: UnaryRefOp, x: number, p0 = 0, p1 = 0): number {
  switch (op) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'rsqrt':
      return 1 / Math.sqrt(x);
    case 'abs':
      return Math.abs(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return Number.isNaN(x) ? NaN : Math.max(x, 0);
    case 'leakyRelu':
      return x > 0 ? x : x * p0;
    case 'hardtanh':
      return Number.isNaN(x) ? NaN : Math.min(Math.max(x, p0), p1);
    case 'hardswish':
      return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'hardsigmoid':
      return Math.min(Math.max(x + 3, 0), 6) / 6;
    case 'gelu':
      return x * phi_ref(x);
    case 'silu':
      return x * sigmoid(x);
    case 'softplus':
      return x * p0 > p1 ? x : Math.log1p(Math.exp(x * p0)) / p0;
    case 'pow':
      return powC(x, p0);
  }
}

/** d op(x) / dx * g, PyTorch's choice at the kinks. */
export function unary_grad_scalar_ref(
  op: UnaryRefOp,
  x: number,
  g: number,
  p0 = 0,
  p1 = 0
): number {
  switch (op) {
    case 'neg':
      return -g;
    case 'exp':
      return g * Math.exp(x);
    case 'log':
      return g / x;
    case 'sqrt':
      return g / (2 * Math.sqrt(x));
    case 'rsqrt':
      return -0.5 * g * x ** -1.5;
    case 'abs':
      return g * (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'sigmoid':
      return g * sigmoid(x) * (1 - sigmoid(x));
    case 'tanh':
      return g * (1 - Math.tanh(x) ** 2);
    case 'relu':
      return x > 0 ? g : 0;
    case 'leakyRelu':
      return x > 0 ? g : g * p0;
    case 'hardtanh':
      return x > p0 && x < p1 ? g : 0;
    case 'hardswish':
      return x < -3 ? 0 : x <= 3 ? g * (x / 3 + 0.5) : g;
    case 'hardsigmoid':
      return x > -3 && x < 3 ? g / 6 : 0;
    case 'gelu':
      return g * (phi_ref(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI));
    case 'silu':
      return g * sigmoid(x) * (1 + x * (1 - sigmoid(x)));
    case 'softplus':
      return x * p0 > p1 ? g : g * sigmoid(x * p0);
    case 'pow':
      return p0 === 0 ? 0 : g * p0 * powC(x, p0 - 1);
  }
}

export function unary_fwd_ref(op: UnaryRefOp, x: Float32Array, p0 = 0, p1 = 0): Float32Array {
  return x.map((v) => unary_scalar_ref(op, v, p0, p1));
}

export function unary_bwd_ref(
  op: UnaryRefOp,
  x: Float32Array,
  g: Float32Array,
  p0 = 0,
  p1 = 0
): Float32Array {
  return x.map((v, i) => unary_grad_scalar_ref(op, v, g[i], p0, p1));
}
