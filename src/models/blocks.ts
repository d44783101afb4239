// torchvision's building blocks (torchvision.ops.misc and friends) that its classification
// networks share, with torchvision's child names: Conv2dNormActivation ("0" conv, "1" norm, "2"
// activation), SqueezeExcitation (avgpool, fc1, fc2, activation, scale_activation),
// StochasticDepth; and the initialisation helpers. Tests: test/models/torchvision.test.ts.

import * as F from '../nn/functional.js';
import { BatchNorm2d, Conv2d, Linear, AdaptiveAvgPool2d, ReLU, Sequential } from '../nn/layers.js';
import { Sigmoid } from '../nn/activation.js';
import { Module } from '../nn/module.js';
import { fillNormal, fillUniform, nextFloat } from '../tensor/random.js';
import { tensor, type Tensor } from '../tensor/tensor.js';

export interface ClassifierOptions {
  /** Output classes (torchvision's num_classes), default 1000. */
  numClasses?: number;
}

export interface DropoutClassifierOptions extends ClassifierOptions {
  /** Dropout probability before the classifier's linear layer(s). */
  dropout?: number;
}

export function checkClasses(model: string, numClasses: number): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${model}: numClasses must be a positive integer, got ${numClasses}`);
  }
  return numClasses;
}

/** torchvision's _make_divisible: v rounded to the nearest multiple of divisor (at least
 * minValue), never more than 10% below v. */
export function makeDivisible(v: number, divisor: number, minValue = divisor): number {
  let out = Math.max(minValue, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** nn.init.kaiming_normal_(w, mode='fan_out') for ReLU-like gains: N(0, 2 / fan_out), where
 * fan_out = out_channels * kh * kw (groups do not enter, as in PyTorch). */
export function kaimingNormalFanOut(conv: Conv2d): void {
  const [o, , kh, kw] = conv.weight.shape;
  fillNormal(conv.weight.rawData(), 0, Math.sqrt(2 / (o * kh * kw)));
}

/** The initialisation MobileNet V2/V3 and EfficientNet share: convs Kaiming normal (fan_out)
 * with zero bias; BN weight 1, bias 0 (their defaults); linear layers N(0, 0.01) or, for
 * EfficientNet ('uniform'), U(-1/sqrt(out), 1/sqrt(out)), with zero bias. */
export function initMobile(model: Module, linear: 'normal' | 'uniform'): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      kaimingNormalFanOut(m);
      m.bias?.rawData().fill(0);
    } else if (m instanceof Linear) {
      const w = m.weight.rawData();
      if (linear === 'normal') fillNormal(w, 0, 0.01);
      else fillUniform(w, -1 / Math.sqrt(m.outFeatures), 1 / Math.sqrt(m.outFeatures));
      m.bias?.rawData().fill(0);
    }
  }
}

export interface ConvNormActivationOptions {
  kernelSize?: number;
  stride?: number;
  groups?: number;
  dilation?: number;
  /** Builds the activation; null for none. Default ReLU. */
  activation?: (() => Module) | null;
  /** BatchNorm2d eps and momentum (MobileNetV3 uses 0.001 and 0.01). */
  eps?: number;
  momentum?: number;
}

/** torchvision.ops.Conv2dNormActivation with BatchNorm2d: conv (bias-free, "same" padding
 * (k - 1) / 2 * dilation), batch norm, activation, as a Sequential named "0", "1", "2". */
export class Conv2dNormActivation extends Sequential {
  constructor(inChannels: number, outChannels: number, opts: ConvNormActivationOptions = {}) {
    const k = opts.kernelSize ?? 3;
    const dilation = opts.dilation ?? 1;
    const layers: Module[] = [
      new Conv2d(inChannels, outChannels, k, {
        stride: opts.stride ?? 1,
        padding: ((k - 1) >> 1) * dilation,
        dilation,
        groups: opts.groups ?? 1,
        bias: false,
      }),
      new BatchNorm2d(outChannels, { eps: opts.eps, momentum: opts.momentum }),
    ];
    const act = opts.activation === undefined ? () => new ReLU() : opts.activation;
    if (act) layers.push(act());
    super(...layers);
  }
}

/** torchvision.ops.SqueezeExcitation: x * scaleActivation(fc2(activation(fc1(avgpool(x))))),
 * fc1/fc2 being 1x1 convs with bias; the [N, C, 1, 1] scale broadcasts over H and W. */
export class SqueezeExcitation extends Module {
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly activation: Module;
  readonly scaleActivation: Module;

  constructor(
    inputChannels: number,
    squeezeChannels: number,
    opts: { activation?: () => Module; scaleActivation?: () => Module } = {}
  ) {
    super();
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc1 = new Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = (opts.activation ?? (() => new ReLU()))();
    this.scaleActivation = (opts.scaleActivation ?? (() => new Sigmoid()))();
  }

  forward(x: Tensor): Tensor {
    const s = this.fc2.forward(this.activation.forward(this.fc1.forward(this.avgpool.forward(x))));
    return F.mul(this.scaleActivation.forward(s), x);
  }
}

/** torchvision.ops.StochasticDepth in "row" mode: in training, each sample's residual branch
 * is dropped with probability p and the kept ones scaled by 1 / (1 - p); identity in eval. */
export class StochasticDepth extends Module {
  constructor(readonly p: number) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`StochasticDepth: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const survival = 1 - this.p;
    const n = x.shape[0];
    const noise = new Float32Array(n);
    for (let i = 0; i < n; i++) noise[i] = nextFloat() < survival ? 1 / survival : 0;
    return F.mul(x, tensor(noise, [n, ...x.shape.slice(1).map(() => 1)]));
  }
}
