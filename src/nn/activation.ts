// Activation layers, each one call of its functional op (PyTorch's constructor arguments in
// camelCase). GELU, SiLU and ReLU are in layers.ts. Tests: test/ops/pointwise.test.ts.

import * as F from './functional.js';
import { Module } from './module.js';
import { recordArgs } from './spec.js';
import type { Tensor } from '../tensor/tensor.js';

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    recordArgs(this, [negativeSlope]);
  }

  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}

export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
}

export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1
  ) {
    super();
    recordArgs(this, [minVal, maxVal]);
    if (!(maxVal > minVal)) {
      throw new RangeError(
        `nn.Hardtanh: maxVal (${maxVal}) must be greater than minVal (${minVal})`
      );
    }
  }

  forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal);
  }
}

export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}

export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}

export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20
  ) {
    super();
    recordArgs(this, [beta, threshold]);
  }

  forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }
}
