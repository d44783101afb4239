// The zoo's small CNN written as a user would write it: a custom nn.Module class calling F ops in
// forward, in its own module so data-parallel workers import it (replica.model). `simdgrad bench
// --suite train` times it beside the zoo's nn.Sequential ('small-cnn-class' rows); same
// parameters, same ops.

import * as F from '../src/nn/functional.js';
import { Conv2d, Linear } from '../src/nn/layers.js';
import { Module } from '../src/nn/module.js';
import type { Tensor } from '../src/tensor/tensor.js';

/** conv 3x3x32 -> ReLU -> conv 3x3x64 -> ReLU -> max pool 2 -> dropout 0.25 -> dense 128 -> ReLU
 * -> dropout 0.5 -> dense 10 (1,199,882 parameters), as createModel('small-cnn'). */
export class SmallCnn extends Module {
  readonly conv1 = new Conv2d(1, 32, 3);
  readonly conv2 = new Conv2d(32, 64, 3);
  readonly fc1 = new Linear(9216, 128);
  readonly fc2 = new Linear(128, 10);

  forward(x: Tensor): Tensor {
    let h = F.relu(this.conv2.forward(F.relu(this.conv1.forward(x))));
    h = F.flatten(F.dropout(F.maxPool2d(h, { kernelSize: 2 }), 0.25, this.training));
    h = F.dropout(F.relu(this.fc1.forward(h)), 0.5, this.training);
    return this.fc2.forward(h);
  }
}
