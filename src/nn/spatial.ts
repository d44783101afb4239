// Layers of the other CNN families over images and sequences: ConvTranspose2d, Conv1d,
// MaxPool1d, AvgPool1d, AdaptiveMaxPool2d, Upsample. Parameters plus one call of F; weights
// initialised as PyTorch's (U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in from weight.shape[1]).
// Tests: test/nn/layers-more.test.ts.

import * as F from './functional.js';
import { Module } from './module.js';
import { recordArgs } from './spec.js';
import type { ConvTranspose2dOptions } from '../ops/conv_transpose.js';
import type { Conv1dOptions } from '../ops/conv2d.js';
import type { AdaptiveSize, Pool1dOptions } from '../ops/pool.js';
import type { InterpolateOptions } from '../ops/resize.js';
import { fillUniform } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Pair } from '../runtime/check.js';

function uniformParam(shape: number[], bound: number): Tensor {
  const t = Tensor.empty(shape);
  fillUniform(t.data(), -bound, bound);
  return t;
}

function checkPositiveInt(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`${layer}: ${name} must be a positive integer, got ${v}`);
}

function channelsAndGroups(
  layer: string,
  inChannels: number,
  outChannels: number,
  groups: number
): void {
  checkPositiveInt(layer, 'inChannels', inChannels);
  checkPositiveInt(layer, 'outChannels', outChannels);
  checkPositiveInt(layer, 'groups', groups);
  if (inChannels % groups || outChannels % groups) {
    throw new RangeError(
      `${layer}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`
    );
  }
}

/** Transposed convolution (as torch.nn.ConvTranspose2d): weight [in, out/groups, kh, kw]. */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly opts: ConvTranspose2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: ConvTranspose2dOptions & { bias?: boolean } = {}
  ) {
    super();
    recordArgs(this, [inChannels, outChannels, kernelSize, opts]);
    const layer = 'nn.ConvTranspose2d';
    const groups = opts.groups ?? 1;
    channelsAndGroups(layer, inChannels, outChannels, groups);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    checkPositiveInt(layer, 'kernelSize', kh);
    checkPositiveInt(layer, 'kernelSize', kw);
    const bound = 1 / Math.sqrt((outChannels / groups) * kh * kw);
    this.weight = this.registerParameter(
      'weight',
      uniformParam([inChannels, outChannels / groups, kh, kw], bound)
    );
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter('bias', uniformParam([outChannels], bound));
    this.opts = {
      stride: opts.stride,
      padding: opts.padding,
      outputPadding: opts.outputPadding,
      dilation: opts.dilation,
      groups,
    };
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

/** 1-D convolution over [N, C, L] (as torch.nn.Conv1d): weight [out, in/groups, k]. */
export class Conv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly opts: Conv1dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number,
    opts: Conv1dOptions & { bias?: boolean } = {}
  ) {
    super();
    recordArgs(this, [inChannels, outChannels, kernelSize, opts]);
    const layer = 'nn.Conv1d';
    const groups = opts.groups ?? 1;
    channelsAndGroups(layer, inChannels, outChannels, groups);
    checkPositiveInt(layer, 'kernelSize', kernelSize);
    const bound = 1 / Math.sqrt((inChannels / groups) * kernelSize);
    this.weight = this.registerParameter(
      'weight',
      uniformParam([outChannels, inChannels / groups, kernelSize], bound)
    );
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter('bias', uniformParam([outChannels], bound));
    this.opts = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups };
  }

  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, this.opts);
  }
}

export class MaxPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly opts: Omit<Pool1dOptions, 'kernelSize' | 'countIncludePad'> = {}
  ) {
    super();
    recordArgs(this, [kernelSize, opts]);
  }

  forward(x: Tensor): Tensor {
    return F.maxPool1d(x, { kernelSize: this.kernelSize, ...this.opts });
  }
}

export class AvgPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly opts: Omit<Pool1dOptions, 'kernelSize'> = {}
  ) {
    super();
    recordArgs(this, [kernelSize, opts]);
  }

  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, { kernelSize: this.kernelSize, ...this.opts });
  }
}

/** Adaptive max pooling to outputSize (values only; null keeps that dim). */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
    recordArgs(this, [outputSize]);
  }

  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize);
  }
}

/** Resizes [N, C, H, W] by size or scaleFactor (as torch.nn.Upsample; mode 'nearest' default). */
export class Upsample extends Module {
  constructor(readonly opts: InterpolateOptions) {
    super();
    recordArgs(this, [opts]);
    const hasSize = opts?.size !== undefined && opts.size !== null;
    const hasScale = opts?.scaleFactor !== undefined && opts.scaleFactor !== null;
    if (hasSize === hasScale) {
      throw new RangeError(
        `nn.Upsample: ${hasSize ? 'only one of' : 'either'} size or scaleFactor should be defined`
      );
    }
  }

  forward(x: Tensor): Tensor {
    return F.interpolate(x, this.opts);
  }
}
