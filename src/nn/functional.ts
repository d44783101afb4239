// F: the functional API, PyTorch's names (torch.nn.functional) in camelCase.

export { conv2d } from '../ops/conv2d.js';
export { linear } from '../ops/linear.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from '../ops/pool.js';
export { flatten, dropout, dropout2d } from '../ops/elementwise.js';
export { sum, mean } from '../ops/reduce.js';
export { cat, stack, pad, split, chunk } from '../ops/shape.js';
export { matmul } from '../ops/matmul.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export { batchNorm, layerNorm2d, gelu, silu } from '../ops/norm.js';
export { crossEntropy } from '../ops/loss.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  neg,
  exp,
  log,
  sqrt,
  rsqrt,
  abs,
} from '../ops/pointwise.js';
export {
  relu,
  sigmoid,
  tanh,
  leakyRelu,
  relu6,
  hardtanh,
  hardswish,
  hardsigmoid,
  softplus,
} from '../ops/activation.js';
export { conv1d } from '../ops/conv2d.js';
export { convTranspose2d } from '../ops/conv_transpose.js';
export { adaptiveMaxPool2d, maxPool1d, avgPool1d } from '../ops/pool.js';
export { interpolate } from '../ops/resize.js';
export { layerNorm, groupNorm } from '../ops/norm.js';
export { embedding } from '../ops/embedding.js';
export { nllLoss } from '../ops/loss.js';
export {
  mseLoss,
  l1Loss,
  smoothL1Loss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from '../ops/loss_pointwise.js';
// The option and argument types of the functions above (nn's layers take the same).
export type { Conv2dOptions } from '../runtime/kernels/conv.js';
export type { Conv1dOptions, Conv2dOptionsWithMode, ConvPadding } from '../ops/conv2d.js';
export type { ConvTranspose2dOptions } from '../ops/conv_transpose.js';
export type { Pool2dOptions } from '../runtime/kernels/pool.js';
export type { AdaptiveSize, Pool1dOptions } from '../ops/pool.js';
export type { Pair, Single } from '../runtime/check.js';
export type { Dims, VarOptions } from '../ops/reduce.js';
export type { Operand } from '../ops/pointwise.js';
export type { BatchNormOptions } from '../ops/norm.js';
export type { InterpolateOptions } from '../ops/resize.js';
export type { ResizeMode } from '../runtime/kernels/resize.js';
export type { EmbeddingOptions, Indices } from '../ops/embedding.js';
export type { CrossEntropyOptions, NllLossOptions, Reduction } from '../ops/loss.js';
export type {
  BinaryCrossEntropyOptions,
  BinaryCrossEntropyWithLogitsOptions,
  PointwiseLossOptions,
} from '../ops/loss_pointwise.js';
