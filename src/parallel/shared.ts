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

/**
 * The elements of one tensor (at offset in a paramLayout of total values) in the part-th of
 * parts equal slices of the layout: { start, count } within the tensor, or null. Slices start at
 * multiples of 16 values, so each runs the same SIMD/tail split as the whole would.
 */
export function reducePart(
  offset: number,
  size: number,
  total: number,
  part: number,
  parts: number
): { start: number; count: number } | null {
  const bound = (j: number): number => Math.min(total, Math.round((j * total) / parts / 16) * 16);
  const lo = Math.max(bound(part), offset);
  const hi = Math.min(bound(part + 1), offset + size);
  return lo < hi ? { start: lo - offset, count: hi - lo } : null;
}
