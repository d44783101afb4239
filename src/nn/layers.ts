// The layers: parameters plus one call of the functional op. Initialisation follows PyTorch's
// defaults (kaiming_uniform with a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights
// and biases), drawn from the global seeded generator.

import * as F from './functional.js';
import { Module } from './module.js';
import { recordArgs } from './spec.js';
import type { Conv2dOptionsWithMode as Conv2dOptions } from '../ops/conv2d.js';
import type { AdaptiveSize } from '../ops/pool.js';
import { fillUniform } from '../tensor/random.js';
import { Tensor, full } from '../tensor/tensor.js';
import type { Pair } from '../runtime/check.js';

function uniformParam(shape: number[], bound: number): Tensor {
  const t = Tensor.empty(shape);
  fillUniform(t.rawData(), -bound, bound);
  return t;
}

function checkPositiveInt(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`${layer}: ${name} must be a positive integer, got ${v}`);
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly opts: Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: Conv2dOptions & { bias?: boolean } = {}
  ) {
    super();
    recordArgs(this, [inChannels, outChannels, kernelSize, opts]);
    checkPositiveInt('nn.Conv2d', 'inChannels', inChannels);
    checkPositiveInt('nn.Conv2d', 'outChannels', outChannels);
    const groups = opts.groups ?? 1;
    checkPositiveInt('nn.Conv2d', 'groups', groups);
    if (inChannels % groups || outChannels % groups) {
      throw new RangeError(
        `nn.Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`
      );
    }
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    checkPositiveInt('nn.Conv2d', 'kernelSize', kh);
    checkPositiveInt('nn.Conv2d', 'kernelSize', kw);
    const fanIn = (inChannels / groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.registerParameter(
      'weight',
      uniformParam([outChannels, inChannels / groups, kh, kw], bound)
    );
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter('bias', uniformParam([outChannels], bound));
    this.opts = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups };
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.opts);
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean } = {}
  ) {
    super();
    recordArgs(this, [inFeatures, outFeatures, opts]);
    checkPositiveInt('nn.Linear', 'inFeatures', inFeatures);
    checkPositiveInt('nn.Linear', 'outFeatures', outFeatures);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter('weight', uniformParam([outFeatures, inFeatures], bound));
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter('bias', uniformParam([outFeatures], bound));
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly opts: { stride?: Pair; padding?: Pair } = {}
  ) {
    super();
    recordArgs(this, [kernelSize, opts]);
  }

  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, { kernelSize: this.kernelSize, ...this.opts });
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly opts: { stride?: Pair; padding?: Pair; countIncludePad?: boolean } = {}
  ) {
    super();
    recordArgs(this, [kernelSize, opts]);
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, { kernelSize: this.kernelSize, ...this.opts });
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
    recordArgs(this, [outputSize]);
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1
  ) {
    super();
    recordArgs(this, [startDim, endDim]);
  }

  forward(x: Tensor): Tensor {
    return F.flatten(x, this.startDim, this.endDim);
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    recordArgs(this, [p]);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`nn.Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

/** Runs its children in order; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    recordArgs(this, layers);
    layers.forEach((m, i) => {
      if (!(m instanceof Module))
        throw new TypeError(`nn.Sequential: argument ${i} is not a Module`);
      this.registerModule(String(i), m);
    });
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.layers) h = m.forward(h);
    return h;
  }
}

/**
 * What torch.nn's batch norms share (PyTorch's _BatchNorm): affine weight and bias, running mean
 * and unbiased running variance moved by momentum in train mode and used in eval mode, and the
 * num_batches_tracked counter (PyTorch's int64, held as f32: exact to 2^24, saved as I64).
 */
export abstract class _BatchNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(
    layer: string,
    readonly numFeatures: number,
    readonly opts: {
      eps?: number;
      momentum?: number;
      affine?: boolean;
      trackRunningStats?: boolean;
    } = {}
  ) {
    super();
    checkPositiveInt(layer, 'numFeatures', numFeatures);
    const affine = opts.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', full([numFeatures], 1)) : null;
    this.bias = affine ? this.registerParameter('bias', full([numFeatures], 0)) : null;
    const track = opts.trackRunningStats ?? true;
    this.runningMean = track ? this.registerBuffer('running_mean', full([numFeatures], 0)) : null;
    this.runningVar = track ? this.registerBuffer('running_var', full([numFeatures], 1)) : null;
    this.numBatchesTracked = track
      ? this.registerBuffer('num_batches_tracked', full([], 0), { dtype: 'I64' })
      : null;
  }

  /** Normalises x [N, C, ...] per channel; counts the batch in train mode. */
  protected normalize(x: Tensor): Tensor {
    if (this.training && this.numBatchesTracked) this.numBatchesTracked.rawData()[0] += 1;
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.training || !this.runningMean,
      momentum: this.opts.momentum ?? 0.1,
      eps: this.opts.eps ?? 1e-5,
    });
  }
}

/** Batch normalisation over [N, C, H, W] (as torch.nn.BatchNorm2d): batch statistics in train
 * mode, running statistics in eval mode. In data-parallel training each worker normalises its
 * own shard (PyTorch DDP without SyncBatchNorm). */
export class BatchNorm2d extends _BatchNorm {
  constructor(
    numFeatures: number,
    opts: { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } = {}
  ) {
    super('nn.BatchNorm2d', numFeatures, opts);
    recordArgs(this, [numFeatures, opts]);
  }

  forward(x: Tensor): Tensor {
    return this.normalize(x);
  }
}

/** LayerNorm over the channels of [N, C, H, W] at each pixel (ConvNeXt's channels-first
 * LayerNorm; torch.nn.LayerNorm would need the channels last). */
export class LayerNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly numChannels: number,
    readonly eps = 1e-6
  ) {
    super();
    recordArgs(this, [numChannels, eps]);
    checkPositiveInt('nn.LayerNorm2d', 'numChannels', numChannels);
    this.weight = this.registerParameter('weight', full([numChannels], 1));
    this.bias = this.registerParameter('bias', full([numChannels], 0));
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm2d(x, this.weight, this.bias, this.eps);
  }
}

export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

/** Zeroes whole channels with probability p in training (as torch.nn.Dropout2d). */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
    recordArgs(this, [p]);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`nn.Dropout2d: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return F.dropout2d(x, this.p, this.training);
  }
}

/** y = body(x) + shortcut(x) (identity shortcut by default): the skip connection of ResNets. */
export class Residual extends Module {
  constructor(
    readonly body: Module,
    readonly shortcut: Module | null = null
  ) {
    super();
    recordArgs(this, [body, shortcut]);
    this.registerModule('body', body);
    if (shortcut) this.registerModule('shortcut', shortcut);
  }

  forward(x: Tensor): Tensor {
    return F.add(this.body.forward(x), this.shortcut ? this.shortcut.forward(x) : x);
  }
}
