// The model zoo users can name (`simdgrad train --model NAME`): nn.Sequentials for
// [N, 1, 28, 28] digit images and 10 classes, and torchvision's ImageNet networks (their classes,
// with torchvision's state-dict keys) for [N, 3, 224, 224] and 1000 classes.

import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { convnextMini, resnetMini } from './classic.js';
import {
  alexnet,
  efficientnetB0,
  mobilenetV2,
  mobilenetV3Small,
  resnet18,
  vgg11,
  vgg16,
} from './torchvision.js';

/** Multinomial logistic regression: one linear layer over the 784 pixels (7,850 parameters). */
export function logistic(): Sequential {
  return new Sequential(new Flatten(), new Linear(784, 10));
}

/** Two-layer perceptron 784-800-10 (636,010 parameters), as in the classic MNIST table. */
export function mlp(): Sequential {
  return new Sequential(new Flatten(), new Linear(784, 800), new ReLU(), new Linear(800, 10));
}

/**
 * conv 3x3x32 -> ReLU -> conv 3x3x64 -> ReLU -> max pool 2 -> dropout 0.25 -> dense 128 -> ReLU
 * -> dropout 0.5 -> dense 10 (1,199,882 parameters): the Keras/PyTorch MNIST example network.
 */
export function smallCnn(): Sequential {
  return new Sequential(
    new Conv2d(1, 32, 3),
    new ReLU(),
    new Conv2d(32, 64, 3),
    new ReLU(),
    new MaxPool2d(2),
    new Dropout(0.25),
    new Flatten(),
    new Linear(9216, 128),
    new ReLU(),
    new Dropout(0.5),
    new Linear(128, 10)
  );
}

/**
 * LeNet-5 with ReLU and max pooling (61,706 parameters): conv 5x5x6 (padding 2, so 28x28 plays
 * the 32x32 input) -> pool -> conv 5x5x16 -> pool -> 120 -> 84 -> 10.
 */
export function lenet5(): Sequential {
  return new Sequential(
    new Conv2d(1, 6, 5, { padding: 2 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(6, 16, 5),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(400, 120),
    new ReLU(),
    new Linear(120, 84),
    new ReLU(),
    new Linear(84, 10)
  );
}

/** What the zoo builds: a Module mapping a batch [N, C, H, W] to logits [N, classes]. */
export interface ImageClassifier extends Module {
  forward(x: Tensor): Tensor;
}

export const models: Record<string, () => ImageClassifier> = {
  logistic,
  mlp,
  'small-cnn': smallCnn,
  lenet5,
  'resnet-mini': () => resnetMini(),
  'convnext-mini': () => convnextMini(),
  alexnet: () => alexnet(),
  vgg11: () => vgg11(),
  vgg16: () => vgg16(),
  resnet18: () => resnet18(),
  mobilenet_v2: () => mobilenetV2(),
  mobilenet_v3_small: () => mobilenetV3Small(),
  efficientnet_b0: () => efficientnetB0(),
};

// torchvision's ImageNet networks: [3, 224, 224] in, 1000 classes out.
const IMAGENET = new Set([
  'alexnet',
  'vgg11',
  'vgg16',
  'resnet18',
  'mobilenet_v2',
  'mobilenet_v3_small',
  'efficientnet_b0',
]);

/** Input [C, H, W] each zoo model expects. */
export function inputShape(name: string): [number, number, number] {
  return IMAGENET.has(name) ? [3, 224, 224] : [1, 28, 28];
}

const built = new WeakMap<Module, string>();

/** Builds a zoo model by name; an unknown name lists the known ones. */
export function createModel(name: string): ImageClassifier {
  const make = models[name];
  if (!make)
    throw new Error(`unknown model '${name}'; known models: ${Object.keys(models).join(', ')}`);
  const model = make();
  built.set(model, name);
  return model;
}

/** The zoo name model was built from by createModel, if it was. */
export function zooName(model: Module): string | undefined {
  return built.get(model);
}
