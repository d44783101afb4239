// nn.Softmax and nn.LogSoftmax: one call of F.softmax / F.logSoftmax along dim (PyTorch's
// implicit dim when omitted). Tests: test/ops/softmax.test.ts.

import * as F from './functional.js';
import { Module } from './module.js';
import { recordArgs } from './spec.js';
import type { Tensor } from '../tensor/tensor.js';

export class Softmax extends Module {
  constructor(readonly dim?: number) {
    super();
    recordArgs(this, [dim]);
  }

  forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim);
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim?: number) {
    super();
    recordArgs(this, [dim]);
  }

  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim);
  }
}
