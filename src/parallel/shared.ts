// Small pieces both the trainer and the workers use.

export { countCorrect } from '../train/metrics.js';

/** Offsets of each parameter in the flat shared buffers, 16-float (64-byte) aligned so kernels
 * can read any parameter's slice in place. */
export function paramLayout(sizes: readonly number[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const n of sizes) {
    offsets.push(total);
    total += Math.ceil(n / 16) * 16;
  }
  return { offsets, total };
}

/** The seed of one step: a hash of (run seed, epoch, step), the same for every worker count. */
export function stepSeed(seed: number, epoch: number, step: number): number {
  let h = (seed >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
