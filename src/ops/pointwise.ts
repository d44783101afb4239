// Element-wise ops with NumPy/PyTorch broadcasting: F.add, F.sub, F.mul, F.div, F.pow,
// F.maximum, F.minimum, the comparisons F.eq/ne/lt/le/gt/ge, and the unary maps F.neg, F.exp,
// F.log, F.sqrt, F.rsqrt, F.abs; the Tensor methods of the same names are installed at the end.
// Activations live in activation.ts. Tests: test/ops/pointwise.test.ts (PyTorch fixtures).

import { record, traceOp } from '../autograd/tape.js';
import { scale } from '../runtime/kernels/elementwise.js';
import {
  UNARY_OPS,
  binary,
  unaryBackward,
  unaryForward,
  type BinaryOp,
  type UnaryOp,
} from '../runtime/kernels/pointwise.js';
import { Tensor, getRuntime } from '../tensor/tensor.js';
import { broadcastShapes, sumToShape } from './broadcast.js';
import { checkTensor } from './check.js';

/** An operand of a binary op: a tensor, or a number (a 0-dim tensor, as PyTorch treats it). */
export type Operand = Tensor | number;

type BinaryGrad = (
  g: Tensor,
  a: Tensor,
  b: Tensor,
  y: Tensor,
  needs: readonly boolean[]
) => (Tensor | null)[];

/** op(a, b) into a new tensor of the broadcast shape; no autograd. */
function apply(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const y = Tensor.empty(shape);
  binary(getRuntime(), op, a.buf, a.shape, b.buf, b.shape, y.buf, shape);
  return y;
}

function operands(op: string, input: Operand, other: Operand): [Tensor, Tensor, Tensor[]] {
  const temps: Tensor[] = [];
  const wrap = (name: string, v: Operand): Tensor => {
    if (v instanceof Tensor) {
      checkTensor(op, name, v);
      return v;
    }
    if (typeof v !== 'number') {
      throw new TypeError(`${op}: ${name} must be a Tensor or a number, got ${String(v)}`);
    }
    const t = Tensor.empty([]);
    t.data()[0] = v;
    temps.push(t);
    return t;
  };
  if (!(input instanceof Tensor) && !(other instanceof Tensor)) {
    throw new TypeError(
      `${op}: input or other must be a Tensor, got ${String(input)} and ` + `${String(other)}`
    );
  }
  const a = wrap('input', input);
  try {
    return [a, wrap('other', other), temps];
  } catch (e) {
    temps.forEach((t) => t.dispose());
    throw e;
  }
}

/** A differentiable binary op (grad null: a mask, recorded nowhere, as PyTorch's bool result). */
function binaryOp(op: BinaryOp, input: Operand, other: Operand, grad: BinaryGrad | null): Tensor {
  const [a, b, temps] = operands(op, input, other);
  const release = (): void => temps.forEach((t) => t.dispose());
  let y: Tensor;
  try {
    y = apply(op, a, b);
  } catch (e) {
    release();
    throw e;
  }
  if (!grad) {
    traceOp(y, op, [a, b]);
    release();
    return y;
  }
  return record(y, op, [a, b], (g, needs) => grad(g, a, b, y, needs), release);
}

/** t summed down to shape; t (a temporary of the output's shape) is consumed. */
function consumeTo(t: Tensor, shape: readonly number[]): Tensor {
  const r = sumToShape(t, shape);
  t.dispose();
  return r;
}

/** alpha * g summed down to shape, always in fresh storage. */
function scaledTo(g: Tensor, shape: readonly number[], alpha: number): Tensor {
  const r = sumToShape(g, shape);
  const fresh = r.buf.ptr !== g.buf.ptr;
  if (fresh && alpha === 1) return r;
  const out = fresh ? r : Tensor.empty(shape);
  scale(getRuntime(), r.buf, alpha, out.buf, r.size);
  if (out !== r) r.dispose();
  return out;
}

/** g times factor (both of g's shape or broadcasting to it), summed down to shape. */
function productTo(g: Tensor, factor: Tensor, shape: readonly number[]): Tensor {
  return consumeTo(apply('mul', g, factor), shape);
}

/**
 * input + other, broadcasting (either may be a number).
 * @example F.add(x, bias) // x [N, C], bias [C]
 */
export function add(input: Operand, other: Operand): Tensor {
  return binaryOp('add', input, other, (g, a, b, _y, needs) => {
    const ga = needs[0] ? sumToShape(g, a.shape) : null;
    // Two views of g would alias: the tape accumulates into a gradient in place.
    const gb = needs[1] ? (needs[0] ? scaledTo(g, b.shape, 1) : sumToShape(g, b.shape)) : null;
    return [ga, gb];
  });
}

/** input - other, broadcasting. */
export function sub(input: Operand, other: Operand): Tensor {
  return binaryOp('sub', input, other, (g, a, b, _y, needs) => [
    needs[0] ? sumToShape(g, a.shape) : null,
    needs[1] ? scaledTo(g, b.shape, -1) : null,
  ]);
}

/** input * other element-wise, broadcasting. */
export function mul(input: Operand, other: Operand): Tensor {
  return binaryOp('mul', input, other, (g, a, b, _y, needs) => [
    needs[0] ? productTo(g, b, a.shape) : null,
    needs[1] ? productTo(g, a, b.shape) : null,
  ]);
}

/** input / other (true division), broadcasting. */
export function div(input: Operand, other: Operand): Tensor {
  return binaryOp('div', input, other, (g, a, b, y, needs) => {
    const gOverB = apply('div', g, b);
    let gb: Tensor | null = null;
    if (needs[1]) {
      // d(a/b)/db = -a / b^2 = -(1/b) * y
      const t = apply('mul', gOverB, y);
      gb = scaledTo(t, b.shape, -1);
      t.dispose();
    }
    if (!needs[0]) {
      gOverB.dispose();
      return [null, gb];
    }
    return [consumeTo(gOverB, a.shape), gb];
  });
}

/**
 * input ** exponent. A number exponent runs the unary kernel (2, 3, 0.5, -0.5, -1, -2 without
 * pow, as PyTorch); a tensor exponent broadcasts. Edge cases are C powf's, as PyTorch's:
 * 0^0 = 1, 0^-1 = inf, (-8)^(1/3) = NaN. Gradients as PyTorch: 0 for input where the exponent is
 * 0; exponent's gradient x^p log(x), 0 where x == 0 and p >= 0.
 */
export function pow(input: Operand, exponent: Operand): Tensor {
  if (input instanceof Tensor && typeof exponent === 'number') {
    return unaryOp('pow', input, exponent, 0, 'pow');
  }
  return binaryOp('pow', input, exponent, (g, a, b, _y, needs) => {
    const grads: (Tensor | null)[] = [null, null];
    const parts = [
      ['powGradBase', a],
      ['powGradExponent', b],
    ] as const;
    parts.forEach(([op, t], i) => {
      if (!needs[i]) return;
      const d = apply(op, a, b);
      grads[i] = productTo(g, d, t.shape);
      d.dispose();
    });
    return grads;
  });
}

/** Element-wise maximum (NaN propagates); the gradient is split evenly between ties. */
export function maximum(input: Operand, other: Operand): Tensor {
  return binaryOp('maximum', input, other, (g, a, b, _y, needs) =>
    extremumGrad('maximumGrad', g, a, b, needs)
  );
}

/** Element-wise minimum (NaN propagates); the gradient is split evenly between ties. */
export function minimum(input: Operand, other: Operand): Tensor {
  return binaryOp('minimum', input, other, (g, a, b, _y, needs) =>
    extremumGrad('minimumGrad', g, a, b, needs)
  );
}

function extremumGrad(
  op: 'maximumGrad' | 'minimumGrad',
  g: Tensor,
  a: Tensor,
  b: Tensor,
  needs: readonly boolean[]
): (Tensor | null)[] {
  return [
    [a, b],
    [b, a],
  ].map(([x, other], i) => {
    if (!needs[i]) return null;
    const share = apply(op, x, other);
    const gx = productTo(g, share, x.shape);
    share.dispose();
    return gx;
  });
}

// Comparisons give 1 where true, 0 where false as float32 (PyTorch gives a bool tensor), with
// no gradient; broadcasting as the arithmetic ops.

/** 1 where input == other. */
export function eq(input: Operand, other: Operand): Tensor {
  return binaryOp('eq', input, other, null);
}

/** 1 where input != other (NaN != anything). */
export function ne(input: Operand, other: Operand): Tensor {
  return binaryOp('ne', input, other, null);
}

/** 1 where input < other. */
export function lt(input: Operand, other: Operand): Tensor {
  return binaryOp('lt', input, other, null);
}

/** 1 where input <= other. */
export function le(input: Operand, other: Operand): Tensor {
  return binaryOp('le', input, other, null);
}

/** 1 where input > other. */
export function gt(input: Operand, other: Operand): Tensor {
  return binaryOp('gt', input, other, null);
}

/** 1 where input >= other. */
export function ge(input: Operand, other: Operand): Tensor {
  return binaryOp('ge', input, other, null);
}

/**
 * y = op(x; p0, p1) with its backward (reading x or y, as UNARY_OPS says); name is the op as
 * errors and the graph show it (relu6 runs hardtanh).
 */
export function unaryOp(op: UnaryOp, x: Tensor, p0 = 0, p1 = 0, name: string = op): Tensor {
  checkTensor(name, 'input', x);
  const rt = getRuntime();
  const y = Tensor.empty(x.shape);
  unaryForward(rt, op, x.buf, y.buf, x.size, p0, p1);
  const reads = UNARY_OPS[op][1];
  return record(
    y,
    name,
    [x],
    (g) => {
      const gx = Tensor.empty(x.shape);
      unaryBackward(rt, op, reads === 'x' ? x.buf : y.buf, g.buf, gx.buf, x.size, p0, p1);
      return [gx];
    },
    undefined,
    { p0, p1 }
  );
}

/** -x. */
export function neg(x: Tensor): Tensor {
  return unaryOp('neg', x);
}

/** e^x. */
export function exp(x: Tensor): Tensor {
  return unaryOp('exp', x);
}

/** Natural log (NaN below 0, -inf at 0). */
export function log(x: Tensor): Tensor {
  return unaryOp('log', x);
}

export function sqrt(x: Tensor): Tensor {
  return unaryOp('sqrt', x);
}

/** 1 / sqrt(x). */
export function rsqrt(x: Tensor): Tensor {
  return unaryOp('rsqrt', x);
}

/** |x|; the gradient is 0 at 0, as PyTorch's. */
export function abs(x: Tensor): Tensor {
  return unaryOp('abs', x);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** this + other, broadcasting (as F.add). */
    add(other: Tensor | number): Tensor;
    /** this - other, broadcasting. */
    sub(other: Tensor | number): Tensor;
    /** this * other, broadcasting. */
    mul(other: Tensor | number): Tensor;
    /** this / other, broadcasting. */
    div(other: Tensor | number): Tensor;
    /** this ** exponent (as F.pow). */
    pow(exponent: Tensor | number): Tensor;
    maximum(other: Tensor | number): Tensor;
    minimum(other: Tensor | number): Tensor;
    /** 1/0 float mask (PyTorch: bool) of this == other. */
    eq(other: Tensor | number): Tensor;
    ne(other: Tensor | number): Tensor;
    lt(other: Tensor | number): Tensor;
    le(other: Tensor | number): Tensor;
    gt(other: Tensor | number): Tensor;
    ge(other: Tensor | number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
  }
}

Tensor.prototype.add = function addMethod(this: Tensor, other: Operand): Tensor {
  return add(this, other);
};
Tensor.prototype.sub = function subMethod(this: Tensor, other: Operand): Tensor {
  return sub(this, other);
};
Tensor.prototype.mul = function mulMethod(this: Tensor, other: Operand): Tensor {
  return mul(this, other);
};
Tensor.prototype.div = function divMethod(this: Tensor, other: Operand): Tensor {
  return div(this, other);
};
Tensor.prototype.pow = function powMethod(this: Tensor, other: Operand): Tensor {
  return pow(this, other);
};
Tensor.prototype.maximum = function maximumMethod(this: Tensor, other: Operand): Tensor {
  return maximum(this, other);
};
Tensor.prototype.minimum = function minimumMethod(this: Tensor, other: Operand): Tensor {
  return minimum(this, other);
};
Tensor.prototype.eq = function eqMethod(this: Tensor, other: Operand): Tensor {
  return eq(this, other);
};
Tensor.prototype.ne = function neMethod(this: Tensor, other: Operand): Tensor {
  return ne(this, other);
};
Tensor.prototype.lt = function ltMethod(this: Tensor, other: Operand): Tensor {
  return lt(this, other);
};
Tensor.prototype.le = function leMethod(this: Tensor, other: Operand): Tensor {
  return le(this, other);
};
Tensor.prototype.gt = function gtMethod(this: Tensor, other: Operand): Tensor {
  return gt(this, other);
};
Tensor.prototype.ge = function geMethod(this: Tensor, other: Operand): Tensor {
  return ge(this, other);
};
Tensor.prototype.neg = function negMethod(this: Tensor): Tensor {
  return neg(this);
};
Tensor.prototype.exp = function expMethod(this: Tensor): Tensor {
  return exp(this);
};
Tensor.prototype.log = function logMethod(this: Tensor): Tensor {
  return log(this);
};
Tensor.prototype.sqrt = function sqrtMethod(this: Tensor): Tensor {
  return sqrt(this);
};
Tensor.prototype.rsqrt = function rsqrtMethod(this: Tensor): Tensor {
  return rsqrt(this);
};
Tensor.prototype.abs = function absMethod(this: Tensor): Tensor {
  return abs(this);
};
