// A loss written by the user, in its own module so that data-parallel workers can import it
// (regression.ts names this file in the Trainer's `replica` option).
import { F, full, type Tensor } from 'simdgrad';

/** Mean squared error, mean((output - target)^2), from element-wise ops. */
export function mseLoss(output: Tensor, target: Tensor): Tensor {
  const diff = F.add(output, F.mul(target, full(target.shape, -1)));
  return F.mean(F.mul(diff, diff));
}
