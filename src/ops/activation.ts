// Activations on the unary kernels: F.relu, F.sigmoid, F.tanh, F.leakyRelu, F.relu6,
// F.hardtanh, F.hardswish, F.hardsigmoid, F.softplus, with PyTorch's defaults and its gradients
// at the kinks; the Tensor methods relu(), sigmoid(), tanh(). F.gelu and F.silu are in norm.ts.
// Tests: test/ops/pointwise.test.ts (PyTorch fixtures), kernels in test/assembly/pointwise.test.ts.

import { Tensor } from '../tensor/tensor.js';
import { unaryOp } from './pointwise.js';

function checkNumber(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new TypeError(`${op}: ${name} must be a number, got ${String(v)}`);
  }
}

/** max(x, 0); the gradient is 0 at 0. */
export function relu(x: Tensor): Tensor {
  return unaryOp('relu', x);
}

/** 1 / (1 + e^-x). */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp('sigmoid', x);
}

export function tanh(x: Tensor): Tensor {
  return unaryOp('tanh', x);
}

/** x where x > 0, else negativeSlope * x (as F.leaky_relu). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  return unaryOp('leakyRelu', x, negativeSlope, 0, 'leakyRelu');
}

/**
 * x clamped to [minVal, maxVal] (as F.hardtanh: minVal > maxVal gives maxVal everywhere, as
 * clamp); the gradient is 0 outside the open interval, at its ends included.
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  checkNumber('hardtanh', 'minVal', minVal);
  checkNumber('hardtanh', 'maxVal', maxVal);
  return unaryOp('hardtanh', x, minVal, maxVal, 'hardtanh');
}

/** min(max(x, 0), 6): hardtanh(x, 0, 6), as PyTorch computes it (gradient 0 at 0 and 6). */
export function relu6(x: Tensor): Tensor {
  return unaryOp('hardtanh', x, 0, 6, 'relu6');
}

/** x * relu6(x + 3) / 6 (MobileNetV3). */
export function hardswish(x: Tensor): Tensor {
  return unaryOp('hardswish', x);
}

/** relu6(x + 3) / 6. */
export function hardsigmoid(x: Tensor): Tensor {
  return unaryOp('hardsigmoid', x);
}

/** log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as F.softplus). */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  return unaryOp('softplus', x, beta, threshold, 'softplus');
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** max(x, 0) (as F.relu). */
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
  }
}

Tensor.prototype.relu = function reluMethod(this: Tensor): Tensor {
  return relu(this);
};
Tensor.prototype.sigmoid = function sigmoidMethod(this: Tensor): Tensor {
  return sigmoid(this);
};
Tensor.prototype.tanh = function tanhMethod(this: Tensor): Tensor {
  return tanh(this);
};
