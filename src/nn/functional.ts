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
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, neg, exp, log, sqrt, rsqrt, abs,
} from '../ops/pointwise.js';
export {
  relu, sigmoid, tanh, leakyRelu, relu6, hardtanh, hardswish, hardsigmoid, softplus,
} from '../ops/activation.js';
