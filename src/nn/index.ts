// nn: layers and containers, as torch.nn.
export { Module, Parameter, Identity, ModuleList, ModuleDict, type StateEntry } from './module.js';
export {
  Conv2d, Linear, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Sequential,
  BatchNorm2d, LayerNorm2d, GELU, SiLU, Dropout2d, Residual,
} from './layers.js';
