// A custom Module class, a factory, a loss and metrics written as a user would, in their own ES
// module so data-parallel workers can import them (test/parallel/custom.test.ts and
// test/browser/demo.test.ts name this file in `replica`).
import { F, full, nn, type Tensor } from '../../src/index.js';

/** conv 3x3 (1 -> channels) -> ReLU -> dropout -> flatten -> linear to `outputs`, on [N, 1, 6, 6]. */
export class TinyNet extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly drop: nn.Dropout;
  readonly fc: nn.Linear;

  constructor(channels = 4, outputs = 1) {
    super();
    this.conv = new nn.Conv2d(1, channels, 3);
    this.drop = new nn.Dropout(0.2);
    this.fc = new nn.Linear(channels * 4 * 4, outputs);
    this.registerModule('conv', this.conv);
    this.registerModule('drop', this.drop);
    this.registerModule('fc', this.fc);
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(F.flatten(this.drop.forward(F.relu(this.conv.forward(x)))));
  }
}

/** A factory, the other form replica.model takes. */
export function makeTinyNet(channels: number, outputs: number): TinyNet {
  return new TinyNet(channels, outputs);
}

/** Mean squared error from ops that exist everywhere: mean((output - target)^2). */
export function squaredError(output: Tensor, target: Tensor): Tensor {
  const diff = F.add(output, F.mul(target, full(target.shape, -1)));
  return F.mean(F.mul(diff, diff));
}

/** Custom metrics: the sum of |output - target| over the batch, and a count of samples. */
export const regressionMetrics = {
  absError: (output: Tensor, target: Tensor): number => {
    const o = output.data();
    const t = target.data();
    let s = 0;
    for (let i = 0; i < t.length; i++) s += Math.abs(o[i] - t[i]);
    return s;
  },
};
