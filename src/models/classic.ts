// Classic and modern architectures: torchvision's AlexNet, VGG-11/16 and ResNet-18 at their
// published sizes (224x224x3 in, 1000 classes; parameter counts equal torchvision's), and small
// MNIST-sized ResNet and ConvNeXt models for 28x28x1 digits.

import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, GELU, LayerNorm2d, Linear, MaxPool2d,
  ReLU, Residual, Sequential,
} from '../nn/layers.js';
import type { Module } from '../nn/module.js';

/** torchvision.models.alexnet: 61,100,840 parameters. */
export function alexnet(numClasses = 1000): Sequential {
  return new Sequential(
    new Conv2d(3, 64, 11, { stride: 4, padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(64, 192, 5, { padding: 2 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    new Conv2d(192, 384, 3, { padding: 1 }), new ReLU(),
    new Conv2d(384, 256, 3, { padding: 1 }), new ReLU(),
    new Conv2d(256, 256, 3, { padding: 1 }), new ReLU(), new MaxPool2d(3, { stride: 2 }),
    new AdaptiveAvgPool2d(6), new Flatten(),
    new Dropout(0.5), new Linear(256 * 6 * 6, 4096), new ReLU(),
    new Dropout(0.5), new Linear(4096, 4096), new ReLU(), new Linear(4096, numClasses),
  );
}

const VGG_CFG: Record<string, (number | 'M')[]> = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
};

/** torchvision VGG without batch norm: vgg11 132,863,336 and vgg16 138,357,544 parameters. */
export function vgg(name: 'vgg11' | 'vgg16', numClasses = 1000): Sequential {
  const layers: Module[] = [];
  let c = 3;
  for (const v of VGG_CFG[name]) {
    if (v === 'M') {
      layers.push(new MaxPool2d(2));
    } else {
      layers.push(new Conv2d(c, v, 3, { padding: 1 }), new ReLU());
      c = v;
    }
  }
  layers.push(new AdaptiveAvgPool2d(7), new Flatten(),
    new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(0.5),
    new Linear(4096, 4096), new ReLU(), new Dropout(0.5), new Linear(4096, numClasses));
  return new Sequential(...layers);
}

/** ResNet basic block: two 3x3 conv-BN, identity or 1x1 conv-BN projection shortcut, ReLU. */
function basicBlock(cin: number, cout: number, stride: number): Module[] {
  const body = new Sequential(
    new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }), new BatchNorm2d(cout), new ReLU(),
    new Conv2d(cout, cout, 3, { padding: 1, bias: false }), new BatchNorm2d(cout));
  const shortcut = stride !== 1 || cin !== cout
    ? new Sequential(new Conv2d(cin, cout, 1, { stride, bias: false }), new BatchNorm2d(cout))
    : null;
  return [new Residual(body, shortcut), new ReLU()];
}

function stages(widths: number[], blocks: number, first: number): Module[] {
  const out: Module[] = [];
  let c = first;
  widths.forEach((w, i) => {
    for (let b = 0; b < blocks; b++) {
      out.push(...basicBlock(c, w, b === 0 && i > 0 ? 2 : 1));
      c = w;
    }
  });
  return out;
}

/** torchvision.models.resnet18: 11,689,512 parameters. */
export function resnet18(numClasses = 1000): Sequential {
  return new Sequential(
    new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }), new BatchNorm2d(64), new ReLU(),
    new MaxPool2d(3, { stride: 2, padding: 1 }),
    ...stages([64, 128, 256, 512], 2, 64),
    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(512, numClasses),
  );
}

/** A ResNet for 28x28 digits: 3x3 stem, three stages of two basic blocks (16, 32, 64 wide,
 * 28 -> 14 -> 7), global average pooling, one linear layer. */
export function resnetMini(numClasses = 10): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, bias: false }), new BatchNorm2d(16), new ReLU(),
    ...stages([16, 32, 64], 2, 16),
    new AdaptiveAvgPool2d(1), new Flatten(), new Linear(64, numClasses),
  );
}

/** ConvNeXt block: depthwise 7x7 -> LayerNorm -> 1x1 (4x wider) -> GELU -> 1x1, plus skip. */
function convnextBlock(c: number): Module {
  return new Residual(new Sequential(
    new Conv2d(c, c, 7, { padding: 3, groups: c }), new LayerNorm2d(c),
    new Conv2d(c, 4 * c, 1), new GELU(), new Conv2d(4 * c, c, 1)));
}

/** A ConvNeXt for 28x28 digits: 2x2 patchify stem (28 -> 14), two ConvNeXt blocks at 32
 * channels, LayerNorm + 2x2 stride-2 downsampling (14 -> 7), two blocks at 64, global pool. */
export function convnextMini(numClasses = 10): Sequential {
  return new Sequential(
    new Conv2d(1, 32, 2, { stride: 2 }), new LayerNorm2d(32),
    convnextBlock(32), convnextBlock(32),
    new LayerNorm2d(32), new Conv2d(32, 64, 2, { stride: 2 }),
    convnextBlock(64), convnextBlock(64),
    new AdaptiveAvgPool2d(1), new LayerNorm2d(64), new Flatten(), new Linear(64, numClasses),
  );
}
