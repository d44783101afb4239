// F.maxPool2d, F.avgPool2d, F.adaptiveAvgPool2d(x, 1): NCHW pooling and its gradients.

import { record } from '../autograd/tape.js';
import {
  avgPool2dBackward, avgPool2dForward, globalAvgPoolBackward, globalAvgPoolForward,
  maxPool2dBackward, maxPool2dForward, pool2dShape, type Pool2dOptions,
} from '../runtime/kernels/pool.js';
import { Tensor, fmtShape, getRuntime } from '../tensor/tensor.js';
import { checkTensor } from './check.js';

export type { Pool2dOptions };

/** Max pooling; the backward routes each gradient to its window's arg-max (first max wins). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  checkTensor('maxPool2d', 'input', x);
  const g = pool2dShape(x.shape, opts, 'maxPool2d');
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  const argmax = rt.heap.allocF32(y.size);
  maxPool2dForward(rt, g, x.buf, y.buf, argmax);
  let released = false;
  const release = (): void => {
    if (!released) rt.heap.free(argmax);
    released = true;
  };
  return record(y, 'maxPool2d', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    maxPool2dBackward(rt, g, gy.buf, argmax, gx.buf);
    return [gx];
  }, release);
}

/** Average pooling (countIncludePad defaults to true, as in PyTorch). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  checkTensor('avgPool2d', 'input', x);
  const g = pool2dShape(x.shape, opts, 'avgPool2d');
  const rt = getRuntime();
  const y = Tensor.empty([g.n, g.c, g.oh, g.ow]);
  avgPool2dForward(rt, g, x.buf, y.buf);
  return record(y, 'avgPool2d', [x], (gy) => {
    const gx = Tensor.empty(x.shape);
    avgPool2dBackward(rt, g, gy.buf, gx.buf);
    return [gx];
  });
}

/**
 * Adaptive average pooling to outputSize. Supported: 1 (global average pooling), the input size
 * itself (identity, as torchvision's AlexNet/VGG heads at 224x224), and any size that divides
 * the input (an average pool with kernel = stride = input / output).
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  checkTensor('adaptiveAvgPool2d', 'input', x);
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (x.ndim !== 4) throw new RangeError(`adaptiveAvgPool2d: input must be 4-D [N,C,H,W], got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape;
  if (oh === h && ow === w) return x.reshape(x.shape);
  if (oh === 1 && ow === 1) {
    const rt = getRuntime();
    const y = Tensor.empty([n, c, 1, 1]);
    globalAvgPoolForward(rt, x.shape, x.buf, y.buf);
    return record(y, 'adaptiveAvgPool2d', [x], (gy) => {
      const gx = Tensor.empty(x.shape);
      globalAvgPoolBackward(rt, x.shape, gy.buf, gx.buf);
      return [gx];
    });
  }
  if (!(oh >= 1 && ow >= 1 && h % oh === 0 && w % ow === 0)) {
    throw new RangeError(`adaptiveAvgPool2d: output size ${String(outputSize)} must be 1, the input size or divide ` +
      `it; input ${fmtShape(x.shape)}`);
  }
  return avgPool2d(x, { kernelSize: [h / oh, w / ow] });
}
