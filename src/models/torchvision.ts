// torchvision's classification networks written as its Python classes, so fields register under
// torchvision's names and its state dicts load with strict: true (conv1.weight, features.0.weight):
// ResNet, AlexNet, VGG here; MobileNet V2/V3 and EfficientNet from mobilenet.ts, re-exported.
// Tests: test/models/torchvision.test.ts, fixtures from scripts/fixtures/interop.py.

import * as F from '../nn/functional.js';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { fillNormal } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkClasses,
  kaimingNormalFanOut,
  type ClassifierOptions,
  type DropoutClassifierOptions,
} from './blocks.js';

export {
  Conv2dNormActivation,
  SqueezeExcitation,
  StochasticDepth,
  makeDivisible,
  type ClassifierOptions,
  type DropoutClassifierOptions,
  type ConvNormActivationOptions,
} from './blocks.js';
export {
  InvertedResidual,
  MobileNetV2,
  mobilenetV2,
  InvertedResidualV3,
  MobileNetV3,
  mobilenetV3Small,
  mobilenetV3Large,
  MBConv,
  EfficientNet,
  efficientnetB0,
} from './mobilenet.js';
export type { EfficientNetOptions, MobileNetV2Options, V3Config } from './mobilenet.js';

/** torchvision.models.resnet.BasicBlock: conv3x3-bn-relu-conv3x3-bn, plus the input (through
 * `downsample` when the shape changes), then ReLU. */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Module | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: Module | null = null) {
    super();
    this.conv1 = new Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(planes);
    this.relu = new ReLU();
    this.conv2 = new Conv2d(planes, planes, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = downsample;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(F.add(out, identity));
  }
}

/** torchvision.models.resnet.ResNet with basic blocks: 7x7 stem, max pool, four stages
 * (layer1..layer4, 64..512 channels), global average pool, fc. */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  /** The classifier head; assign a new nn.Linear(512, k) to fine-tune for k classes. */
  fc: Linear;
  private inplanes = 64;

  /** layers: basic blocks per stage ([2, 2, 2, 2] is ResNet-18, [3, 4, 6, 3] ResNet-34). */
  constructor(layers: readonly [number, number, number, number], opts: ClassifierOptions = {}) {
    super();
    const numClasses = checkClasses('ResNet', opts.numClasses ?? 1000);
    this.conv1 = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new BatchNorm2d(64);
    this.relu = new ReLU();
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(64, layers[0], 1);
    this.layer2 = this.makeLayer(128, layers[1], 2);
    this.layer3 = this.makeLayer(256, layers[2], 2);
    this.layer4 = this.makeLayer(512, layers[3], 2);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(512 * BasicBlock.expansion, numClasses);
    for (const m of this.modules()) if (m instanceof Conv2d) kaimingNormalFanOut(m);
  }

  private makeLayer(planes: number, blocks: number, stride: number): Sequential {
    const downsample =
      stride !== 1 || this.inplanes !== planes
        ? new Sequential(
            new Conv2d(this.inplanes, planes, 1, { stride, bias: false }),
            new BatchNorm2d(planes)
          )
        : null;
    const out = [new BasicBlock(this.inplanes, planes, stride, downsample)];
    this.inplanes = planes;
    for (let i = 1; i < blocks; i++) out.push(new BasicBlock(planes, planes));
    return new Sequential(...out);
  }

  forward(x: Tensor): Tensor {
    let h = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    h = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(h))));
    return this.fc.forward(F.flatten(this.avgpool.forward(h), 1));
  }
}

/** torchvision.models.resnet18: 11,689,512 parameters at 1000 classes. */
export function resnet18(opts: ClassifierOptions = {}): ResNet {
  return new ResNet([2, 2, 2, 2], opts);
}

/** torchvision.models.resnet34: 21,797,672 parameters at 1000 classes. */
export function resnet34(opts: ClassifierOptions = {}): ResNet {
  return new ResNet([3, 4, 6, 3], opts);
}

/** torchvision.models.AlexNet: `features` (5 convs), `avgpool` (adaptive, 6x6), `classifier`
 * (dropout, 9216 -> 4096, ReLU, dropout, 4096 -> 4096, ReLU, 4096 -> numClasses). */
export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(opts: DropoutClassifierOptions = {}) {
    super();
    const numClasses = checkClasses('AlexNet', opts.numClasses ?? 1000);
    const p = opts.dropout ?? 0.5;
    this.features = new Sequential(
      new Conv2d(3, 64, 11, { stride: 4, padding: 2 }),
      new ReLU(),
      new MaxPool2d(3, { stride: 2 }),
      new Conv2d(64, 192, 5, { padding: 2 }),
      new ReLU(),
      new MaxPool2d(3, { stride: 2 }),
      new Conv2d(192, 384, 3, { padding: 1 }),
      new ReLU(),
      new Conv2d(384, 256, 3, { padding: 1 }),
      new ReLU(),
      new Conv2d(256, 256, 3, { padding: 1 }),
      new ReLU(),
      new MaxPool2d(3, { stride: 2 })
    );
    this.avgpool = new AdaptiveAvgPool2d(6);
    this.classifier = new Sequential(
      new Dropout(p),
      new Linear(256 * 6 * 6, 4096),
      new ReLU(),
      new Dropout(p),
      new Linear(4096, 4096),
      new ReLU(),
      new Linear(4096, numClasses)
    );
  }

  forward(x: Tensor): Tensor {
    const h = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(h, 1));
  }
}

/** torchvision.models.alexnet: 61,100,840 parameters at 1000 classes. */
export function alexnet(opts: DropoutClassifierOptions = {}): AlexNet {
  return new AlexNet(opts);
}

/** torchvision's VGG configurations: output channels of each 3x3 conv, 'M' for a 2x2 max pool. */
export const VGG_CONFIGS: Record<'vgg11' | 'vgg13' | 'vgg16' | 'vgg19', readonly (number | 'M')[]> =
  {
    vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
    vgg19: [
      64,
      64,
      'M',
      128,
      128,
      'M',
      256,
      256,
      256,
      256,
      'M',
      512,
      512,
      512,
      512,
      'M',
      512,
      512,
      512,
      512,
      'M',
    ],
  };

export interface VGGOptions extends DropoutClassifierOptions {
  /** A BatchNorm2d after each conv (torchvision's vgg11_bn, vgg16_bn...). */
  batchNorm?: boolean;
}

/** torchvision.models.VGG: `features` (convs per config, ReLU, max pools), `avgpool` (adaptive,
 * 7x7), `classifier` (25088 -> 4096, ReLU, dropout, 4096 -> 4096, ReLU, dropout, -> numClasses).
 * Initialised as torchvision does: convs Kaiming normal (fan_out), linear N(0, 0.01), biases 0. */
export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(config: readonly (number | 'M')[], opts: VGGOptions = {}) {
    super();
    const numClasses = checkClasses('VGG', opts.numClasses ?? 1000);
    const p = opts.dropout ?? 0.5;
    const layers: Module[] = [];
    let c = 3;
    for (const v of config) {
      if (v === 'M') {
        layers.push(new MaxPool2d(2, { stride: 2 }));
        continue;
      }
      layers.push(new Conv2d(c, v, 3, { padding: 1 }));
      if (opts.batchNorm) layers.push(new BatchNorm2d(v));
      layers.push(new ReLU());
      c = v;
    }
    this.features = new Sequential(...layers);
    this.avgpool = new AdaptiveAvgPool2d(7);
    this.classifier = new Sequential(
      new Linear(512 * 7 * 7, 4096),
      new ReLU(),
      new Dropout(p),
      new Linear(4096, 4096),
      new ReLU(),
      new Dropout(p),
      new Linear(4096, numClasses)
    );
    for (const m of this.modules()) {
      if (m instanceof Conv2d) {
        kaimingNormalFanOut(m);
        m.bias?.rawData().fill(0);
      } else if (m instanceof Linear) {
        fillNormal(m.weight.rawData(), 0, 0.01);
        m.bias?.rawData().fill(0);
      }
    }
  }

  forward(x: Tensor): Tensor {
    const h = this.avgpool.forward(this.features.forward(x));
    return this.classifier.forward(F.flatten(h, 1));
  }
}

/** torchvision.models.vgg11 (132,863,336 parameters at 1000 classes); batchNorm: vgg11_bn. */
export function vgg11(opts: VGGOptions = {}): VGG {
  return new VGG(VGG_CONFIGS.vgg11, opts);
}

/** torchvision.models.vgg16 (138,357,544 parameters at 1000 classes); batchNorm: vgg16_bn. */
export function vgg16(opts: VGGOptions = {}): VGG {
  return new VGG(VGG_CONFIGS.vgg16, opts);
}
