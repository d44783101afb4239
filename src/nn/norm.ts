// Normalisation layers beyond BatchNorm2d: BatchNorm1d ([N,C] and [N,C,L] on the batch-norm
// kernels), LayerNorm (over the last dims), GroupNorm; and Embedding. As torch.nn, with its
// defaults (eps 1e-5, momentum 0.1, affine weight 1 and bias 0, embeddings N(0, 1)).
// Tests: test/nn/layers-more.test.ts.

import * as F from './functional.js';
import { _BatchNorm } from './layers.js';
import { Module } from './module.js';
import { recordArgs } from './spec.js';
import type { Indices } from '../ops/embedding.js';
import { fillNormal } from '../tensor/random.js';
import { Tensor, fmtShape, full } from '../tensor/tensor.js';

function checkPositiveInt(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`${layer}: ${name} must be a positive integer, got ${v}`);
}

/** Batch normalisation over [N, C] or [N, C, L] (as torch.nn.BatchNorm1d): batch statistics in
 * train mode (running mean and unbiased running variance move by momentum), running ones in
 * eval mode. */
export class BatchNorm1d extends _BatchNorm {
  constructor(
    numFeatures: number,
    opts: { eps?: number; momentum?: number; affine?: boolean; trackRunningStats?: boolean } = {}
  ) {
    super('nn.BatchNorm1d', numFeatures, opts);
    recordArgs(this, [numFeatures, opts]);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new RangeError(
        `nn.BatchNorm1d: expected 2-D [N,C] or 3-D [N,C,L] input, got ${fmtShape(x.shape)}`
      );
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `nn.BatchNorm1d: input ${fmtShape(x.shape)} has ${x.shape[1]} channels, the layer ${this.numFeatures}`
      );
    }
    return this.normalize(x);
  }
}

/** Layer normalisation over the last dims (as torch.nn.LayerNorm). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    normalizedShape: number | readonly number[],
    opts: { eps?: number; elementwiseAffine?: boolean } = {}
  ) {
    super();
    recordArgs(this, [normalizedShape, opts]);
    this.normalizedShape =
      typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0)
      throw new RangeError('nn.LayerNorm: normalizedShape must not be empty');
    this.normalizedShape.forEach((d, i) =>
      checkPositiveInt('nn.LayerNorm', `normalizedShape[${i}]`, d)
    );
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', full(this.normalizedShape, 1)) : null;
    this.bias = affine ? this.registerParameter('bias', full(this.normalizedShape, 0)) : null;
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

/** Group normalisation of [N, C, ...] (as torch.nn.GroupNorm), per-channel affine. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: { eps?: number; affine?: boolean } = {}
  ) {
    super();
    recordArgs(this, [numGroups, numChannels, opts]);
    checkPositiveInt('nn.GroupNorm', 'numGroups', numGroups);
    checkPositiveInt('nn.GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(
        `nn.GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`
      );
    }
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', full([numChannels], 1)) : null;
    this.bias = affine ? this.registerParameter('bias', full([numChannels], 0)) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new RangeError(
        `nn.GroupNorm: expected input [N, ${this.numChannels}, ...], got ${fmtShape(x.shape)}`
      );
    }
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
}

/** A table of numEmbeddings vectors of size embeddingDim (as torch.nn.Embedding), N(0, 1) init;
 * forward takes integer indices of any shape. */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: { paddingIdx?: number } = {}
  ) {
    super();
    recordArgs(this, [numEmbeddings, embeddingDim, opts]);
    checkPositiveInt('nn.Embedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInt('nn.Embedding', 'embeddingDim', embeddingDim);
    let pad = opts.paddingIdx;
    if (pad !== undefined) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new RangeError(
          `nn.Embedding: paddingIdx must be within [-${numEmbeddings}, ${numEmbeddings - 1}], got ${pad}`
        );
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    const w = Tensor.empty([numEmbeddings, embeddingDim]);
    fillNormal(w.data(), 0, 1);
    if (pad !== undefined) w.data().fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    this.weight = this.registerParameter('weight', w);
  }

  forward(indices: Indices): Tensor {
    return F.embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
}
