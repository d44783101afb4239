// nn: layers and containers, as torch.nn.
import './registry.js';
export { Module, Parameter, Identity, ModuleList, ModuleDict, type StateEntry } from './module.js';
export {
  Conv2d,
  Linear,
  ReLU,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  Flatten,
  Dropout,
  Sequential,
  BatchNorm2d,
  LayerNorm2d,
  GELU,
  SiLU,
  Dropout2d,
  Residual,
} from './layers.js';
export {
  Sigmoid,
  Tanh,
  LeakyReLU,
  ReLU6,
  Hardtanh,
  Hardswish,
  Hardsigmoid,
  Softplus,
} from './activation.js';
export { Softmax, LogSoftmax } from './softmax.js';
export {
  ConvTranspose2d,
  Conv1d,
  MaxPool1d,
  AvgPool1d,
  AdaptiveMaxPool2d,
  Upsample,
} from './spatial.js';
export { BatchNorm1d, LayerNorm, GroupNorm, Embedding } from './norm.js';
export {
  MSELoss,
  L1Loss,
  SmoothL1Loss,
  BCELoss,
  BCEWithLogitsLoss,
  NLLLoss,
  CrossEntropyLoss,
} from './loss.js';
