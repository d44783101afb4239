// Losses as modules (as torch.nn's): forward(input, target) calls the functional loss with the
// options given at construction. Tests: test/nn/layers-more.test.ts.

import * as F from './functional.js';
import { Module } from './module.js';
import { recordArgs } from './spec.js';
import type { Indices } from '../ops/embedding.js';
import type { CrossEntropyOptions, NllLossOptions } from '../ops/loss.js';
import type {
  BinaryCrossEntropyOptions,
  BinaryCrossEntropyWithLogitsOptions,
  PointwiseLossOptions as Opts,
} from '../ops/loss_pointwise.js';
import type { Tensor } from '../tensor/tensor.js';

/** A loss module: forward(input, target); call(input, target) as a function. */
abstract class Loss<T, O> extends Module {
  constructor(readonly opts: O) {
    super();
  }

  protected abstract loss(input: Tensor, target: T): Tensor;

  forward(input: Tensor, target?: T): Tensor {
    if (target === undefined)
      throw new TypeError(`nn.${this.constructor.name}: forward(input, target) needs a target`);
    return this.loss(input, target);
  }

  override call(input: Tensor, target?: T): Tensor {
    return this.forward(input, target);
  }
}

export class MSELoss extends Loss<Tensor, Opts> {
  constructor(opts: Opts = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.opts);
  }
}

export class L1Loss extends Loss<Tensor, Opts> {
  constructor(opts: Opts = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, this.opts);
  }
}

export class SmoothL1Loss extends Loss<Tensor, Opts & { beta?: number }> {
  constructor(opts: Opts & { beta?: number } = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, this.opts);
  }
}

export class BCELoss extends Loss<Tensor, BinaryCrossEntropyOptions> {
  constructor(opts: BinaryCrossEntropyOptions = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, this.opts);
  }
}

export class BCEWithLogitsLoss extends Loss<Tensor, BinaryCrossEntropyWithLogitsOptions> {
  constructor(opts: BinaryCrossEntropyWithLogitsOptions = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.opts);
  }
}

export class NLLLoss extends Loss<Indices, NllLossOptions> {
  constructor(opts: NllLossOptions = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Indices): Tensor {
    return F.nllLoss(input, target, this.opts);
  }
}

export class CrossEntropyLoss extends Loss<Indices, CrossEntropyOptions> {
  constructor(opts: CrossEntropyOptions = {}) {
    super(opts);
    recordArgs(this, [opts]);
  }

  protected loss(input: Tensor, target: Indices): Tensor {
    return F.crossEntropy(input, target, this.opts);
  }
}
