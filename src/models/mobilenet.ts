// torchvision's mobile networks with torchvision's state-dict keys (features.0.0.weight,
// features.1.conv.0.0.weight, features.1.block.1.fc1.weight, classifier.1.bias): MobileNetV2,
// MobileNetV3 (small, large) and EfficientNet-B0, as torchvision 0.14 writes them. Re-exported by
// torchvision.ts. Tests: test/models/torchvision.test.ts.

import * as F from '../nn/functional.js';
import { Hardsigmoid, Hardswish, ReLU6 } from '../nn/activation.js';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Linear,
  ReLU,
  Sequential,
  SiLU,
} from '../nn/layers.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  Conv2dNormActivation,
  SqueezeExcitation,
  StochasticDepth,
  checkClasses,
  initMobile,
  makeDivisible,
  type DropoutClassifierOptions,
} from './blocks.js';

/** torchvision.models.mobilenetv2.InvertedResidual: 1x1 expansion (when expandRatio != 1),
 * 3x3 depthwise, 1x1 projection + BN (`conv`), ReLU6 between; the input is added back when the
 * shape allows. */
export class InvertedResidual extends Module {
  readonly conv: Sequential;
  readonly useResConnect: boolean;

  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    if (stride !== 1 && stride !== 2) {
      throw new RangeError(`InvertedResidual: stride must be 1 or 2, got ${stride}`);
    }
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const relu6 = (): Module => new ReLU6();
    const layers: Module[] = [];
    if (expandRatio !== 1) {
      layers.push(new Conv2dNormActivation(inp, hidden, { kernelSize: 1, activation: relu6 }));
    }
    layers.push(
      new Conv2dNormActivation(hidden, hidden, { stride, groups: hidden, activation: relu6 }),
      new Conv2d(hidden, oup, 1, { bias: false }),
      new BatchNorm2d(oup)
    );
    this.conv = new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return this.useResConnect ? F.add(x, y) : y;
  }
}

export interface MobileNetV2Options extends DropoutClassifierOptions {
  /** Channel multiplier (torchvision's width_mult), default 1. */
  widthMult?: number;
}

// [expansion t, output channels c, repeats n, first stride s] per stage (torchvision's default).
const V2_SETTING: readonly [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** torchvision.models.MobileNetV2: `features` (stem, 17 inverted residuals, 1x1 to 1280), global
 * average pool, `classifier` (dropout 0.2, linear). */
export class MobileNetV2 extends Module {
  readonly features: Sequential;
  readonly classifier: Sequential;

  constructor(opts: MobileNetV2Options = {}) {
    super();
    const numClasses = checkClasses('MobileNetV2', opts.numClasses ?? 1000);
    const width = opts.widthMult ?? 1;
    let input = makeDivisible(32 * width, 8);
    const last = makeDivisible(1280 * Math.max(1, width), 8);
    const relu6 = (): Module => new ReLU6();
    const features: Module[] = [
      new Conv2dNormActivation(3, input, { stride: 2, activation: relu6 }),
    ];
    for (const [t, c, n, s] of V2_SETTING) {
      const output = makeDivisible(c * width, 8);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidual(input, output, i === 0 ? s : 1, t));
        input = output;
      }
    }
    features.push(new Conv2dNormActivation(input, last, { kernelSize: 1, activation: relu6 }));
    this.features = new Sequential(...features);
    this.classifier = new Sequential(
      new Dropout(opts.dropout ?? 0.2),
      new Linear(last, numClasses)
    );
    initMobile(this, 'normal');
  }

  forward(x: Tensor): Tensor {
    const h = F.adaptiveAvgPool2d(this.features.forward(x), 1);
    return this.classifier.forward(F.flatten(h, 1));
  }
}

/** torchvision.models.mobilenet_v2: 3,504,872 parameters at 1000 classes. */
export function mobilenetV2(opts: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(opts);
}

/** One MobileNetV3 bottleneck: input, kernel, expanded, output channels, squeeze-excitation,
 * hardswish (else ReLU), stride. */
export type V3Config = readonly [number, number, number, number, boolean, boolean, number];

// MobileNetV3 batch norm: eps 0.001, momentum 0.01 (torchvision's norm_layer for V3).
const V3_BN = { eps: 0.001, momentum: 0.01 };

/** torchvision.models.mobilenetv3.InvertedResidual: optional 1x1 expansion, depthwise conv,
 * optional squeeze-excitation (hardsigmoid gate), 1x1 projection (`block`); input added back
 * when the shape allows. */
export class InvertedResidualV3 extends Module {
  readonly block: Sequential;
  readonly useResConnect: boolean;

  constructor([input, kernel, expanded, out, useSe, useHs, stride]: V3Config) {
    super();
    this.useResConnect = stride === 1 && input === out;
    const activation = (): Module => (useHs ? new Hardswish() : new ReLU());
    const layers: Module[] = [];
    if (expanded !== input) {
      layers.push(
        new Conv2dNormActivation(input, expanded, { kernelSize: 1, activation, ...V3_BN })
      );
    }
    layers.push(
      new Conv2dNormActivation(expanded, expanded, {
        kernelSize: kernel,
        stride,
        groups: expanded,
        activation,
        ...V3_BN,
      })
    );
    if (useSe) {
      layers.push(
        new SqueezeExcitation(expanded, makeDivisible(Math.floor(expanded / 4), 8), {
          scaleActivation: () => new Hardsigmoid(),
        })
      );
    }
    layers.push(
      new Conv2dNormActivation(expanded, out, { kernelSize: 1, activation: null, ...V3_BN })
    );
    this.block = new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    const y = this.block.forward(x);
    return this.useResConnect ? F.add(y, x) : y;
  }
}

const V3_SMALL: readonly V3Config[] = [
  [16, 3, 16, 16, true, false, 2],
  [16, 3, 72, 24, false, false, 2],
  [24, 3, 88, 24, false, false, 1],
  [24, 5, 96, 40, true, true, 2],
  [40, 5, 240, 40, true, true, 1],
  [40, 5, 240, 40, true, true, 1],
  [40, 5, 120, 48, true, true, 1],
  [48, 5, 144, 48, true, true, 1],
  [48, 5, 288, 96, true, true, 2],
  [96, 5, 576, 96, true, true, 1],
  [96, 5, 576, 96, true, true, 1],
];

const V3_LARGE: readonly V3Config[] = [
  [16, 3, 16, 16, false, false, 1],
  [16, 3, 64, 24, false, false, 2],
  [24, 3, 72, 24, false, false, 1],
  [24, 5, 72, 40, true, false, 2],
  [40, 5, 120, 40, true, false, 1],
  [40, 5, 120, 40, true, false, 1],
  [40, 3, 240, 80, false, true, 2],
  [80, 3, 200, 80, false, true, 1],
  [80, 3, 184, 80, false, true, 1],
  [80, 3, 184, 80, false, true, 1],
  [80, 3, 480, 112, true, true, 1],
  [112, 3, 672, 112, true, true, 1],
  [112, 5, 672, 160, true, true, 2],
  [160, 5, 960, 160, true, true, 1],
  [160, 5, 960, 160, true, true, 1],
];

/** torchvision.models.MobileNetV3: `features` (hardswish stem, bottlenecks, 1x1 to 6x the last
 * width), `avgpool`, `classifier` (linear, hardswish, dropout 0.2, linear). */
export class MobileNetV3 extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(
    setting: readonly V3Config[],
    lastChannel: number,
    opts: DropoutClassifierOptions = {}
  ) {
    super();
    const numClasses = checkClasses('MobileNetV3', opts.numClasses ?? 1000);
    const hardswish = (): Module => new Hardswish();
    const lastIn = setting[setting.length - 1][3];
    this.features = new Sequential(
      new Conv2dNormActivation(3, setting[0][0], { stride: 2, activation: hardswish, ...V3_BN }),
      ...setting.map((c) => new InvertedResidualV3(c)),
      new Conv2dNormActivation(lastIn, 6 * lastIn, {
        kernelSize: 1,
        activation: hardswish,
        ...V3_BN,
      })
    );
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.classifier = new Sequential(
      new Linear(6 * lastIn, lastChannel),
      new Hardswish(),
      new Dropout(opts.dropout ?? 0.2),
      new Linear(lastChannel, numClasses)
    );
    initMobile(this, 'normal');
  }

  forward(x: Tensor): Tensor {
    const h = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(h, 1));
  }
}

/** torchvision.models.mobilenet_v3_small: 2,542,856 parameters at 1000 classes. */
export function mobilenetV3Small(opts: DropoutClassifierOptions = {}): MobileNetV3 {
  return new MobileNetV3(V3_SMALL, 1024, opts);
}

/** torchvision.models.mobilenet_v3_large: 5,483,032 parameters at 1000 classes. */
export function mobilenetV3Large(opts: DropoutClassifierOptions = {}): MobileNetV3 {
  return new MobileNetV3(V3_LARGE, 1280, opts);
}

/** torchvision.models.efficientnet.MBConv: optional 1x1 expansion, depthwise conv,
 * squeeze-excitation (SiLU, sigmoid gate), 1x1 projection (`block`), SiLU between; when the
 * shape allows, the input is added to the branch after stochastic depth. */
export class MBConv extends Module {
  readonly block: Sequential;
  readonly stochasticDepth: StochasticDepth;
  readonly useResConnect: boolean;

  constructor(
    expandRatio: number,
    kernel: number,
    stride: number,
    input: number,
    out: number,
    stochasticDepthProb: number
  ) {
    super();
    this.useResConnect = stride === 1 && input === out;
    const silu = (): Module => new SiLU();
    const expanded = makeDivisible(input * expandRatio, 8);
    const layers: Module[] = [];
    if (expanded !== input) {
      layers.push(new Conv2dNormActivation(input, expanded, { kernelSize: 1, activation: silu }));
    }
    layers.push(
      new Conv2dNormActivation(expanded, expanded, {
        kernelSize: kernel,
        stride,
        groups: expanded,
        activation: silu,
      }),
      new SqueezeExcitation(expanded, Math.max(1, Math.floor(input / 4)), { activation: silu }),
      new Conv2dNormActivation(expanded, out, { kernelSize: 1, activation: null })
    );
    this.block = new Sequential(...layers);
    this.stochasticDepth = new StochasticDepth(stochasticDepthProb);
  }

  forward(x: Tensor): Tensor {
    const y = this.block.forward(x);
    return this.useResConnect ? F.add(this.stochasticDepth.forward(y), x) : y;
  }
}

// EfficientNet-B0 stages: expansion, kernel, stride, input, output channels, repeats.
const B0_SETTING: readonly [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

export interface EfficientNetOptions extends DropoutClassifierOptions {
  /** Largest stochastic-depth drop probability (the last block's; linear in the block index
   * from 0), default 0.2. */
  stochasticDepthProb?: number;
}

/** torchvision.models.EfficientNet (B0 configuration): `features` (SiLU stem, one Sequential of
 * MBConv blocks per stage, 1x1 to 1280), `avgpool`, `classifier` (dropout 0.2, linear). */
export class EfficientNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(opts: EfficientNetOptions = {}) {
    super();
    const numClasses = checkClasses('EfficientNet', opts.numClasses ?? 1000);
    const sdProb = opts.stochasticDepthProb ?? 0.2;
    const silu = (): Module => new SiLU();
    const total = B0_SETTING.reduce((a, s) => a + s[5], 0);
    let id = 0;
    const stages: Module[] = B0_SETTING.map(([t, k, s, cin, cout, n]) => {
      const blocks: Module[] = [];
      for (let i = 0; i < n; i++) {
        blocks.push(
          new MBConv(t, k, i === 0 ? s : 1, i === 0 ? cin : cout, cout, (sdProb * id) / total)
        );
        id++;
      }
      return new Sequential(...blocks);
    });
    const lastIn = B0_SETTING[B0_SETTING.length - 1][4];
    this.features = new Sequential(
      new Conv2dNormActivation(3, B0_SETTING[0][3], { stride: 2, activation: silu }),
      ...stages,
      new Conv2dNormActivation(lastIn, 4 * lastIn, { kernelSize: 1, activation: silu })
    );
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.classifier = new Sequential(
      new Dropout(opts.dropout ?? 0.2),
      new Linear(4 * lastIn, numClasses)
    );
    initMobile(this, 'uniform');
  }

  forward(x: Tensor): Tensor {
    const h = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(h, 1));
  }
}

/** torchvision.models.efficientnet_b0: 5,288,548 parameters at 1000 classes. */
export function efficientnetB0(opts: EfficientNetOptions = {}): EfficientNet {
  return new EfficientNet(opts);
}
