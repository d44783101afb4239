// nn: layers and containers, as torch.nn.
export { Module } from './module.js';
export {
  Conv2d, Linear, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Sequential,
} from './layers.js';
