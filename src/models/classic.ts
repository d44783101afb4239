// Small MNIST-sized ResNet and ConvNeXt models for 28x28x1 digits, as flat Sequentials.
// torchvision's architectures (AlexNet, VGG, ResNet-18) are in torchvision.ts.

import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  GELU,
  LayerNorm2d,
  Linear,
  ReLU,
  Residual,
  Sequential,
} from '../nn/layers.js';
import type { Module } from '../nn/module.js';

/** ResNet basic block: two 3x3 conv-BN, identity or 1x1 conv-BN projection shortcut, ReLU. */
function basicBlock(cin: number, cout: number, stride: number): Module[] {
  const body = new Sequential(
    new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }),
    new BatchNorm2d(cout),
    new ReLU(),
    new Conv2d(cout, cout, 3, { padding: 1, bias: false }),
    new BatchNorm2d(cout)
  );
  const shortcut =
    stride !== 1 || cin !== cout
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

/** A ResNet for 28x28 digits: 3x3 stem, three stages of two basic blocks (16, 32, 64 wide,
 * 28 -> 14 -> 7), global average pooling, one linear layer. */
export function resnetMini(numClasses = 10): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, bias: false }),
    new BatchNorm2d(16),
    new ReLU(),
    ...stages([16, 32, 64], 2, 16),
    new AdaptiveAvgPool2d(1),
    new Flatten(),
    new Linear(64, numClasses)
  );
}

/** ConvNeXt block: depthwise 7x7 -> LayerNorm -> 1x1 (4x wider) -> GELU -> 1x1, plus skip. */
function convnextBlock(c: number): Module {
  return new Residual(
    new Sequential(
      new Conv2d(c, c, 7, { padding: 3, groups: c }),
      new LayerNorm2d(c),
      new Conv2d(c, 4 * c, 1),
      new GELU(),
      new Conv2d(4 * c, c, 1)
    )
  );
}

/** A ConvNeXt for 28x28 digits: 2x2 patchify stem (28 -> 14), two ConvNeXt blocks at 32
 * channels, LayerNorm + 2x2 stride-2 downsampling (14 -> 7), two blocks at 64, global pool. */
export function convnextMini(numClasses = 10): Sequential {
  return new Sequential(
    new Conv2d(1, 32, 2, { stride: 2 }),
    new LayerNorm2d(32),
    convnextBlock(32),
    convnextBlock(32),
    new LayerNorm2d(32),
    new Conv2d(32, 64, 2, { stride: 2 }),
    convnextBlock(64),
    convnextBlock(64),
    new AdaptiveAvgPool2d(1),
    new LayerNorm2d(64),
    new Flatten(),
    new Linear(64, numClasses)
  );
}
