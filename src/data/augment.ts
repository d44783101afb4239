// Data augmentation for digit images, done in the data pipeline on the main thread before a
// batch is sharded (so it is the same for any worker count): a random affine map per image
// (rotation, scale, translation) sampled bilinearly, seeded per step. Pure: no Node imports.

import { mulberry32 } from './loader.js';

export interface AffineAugmentOptions {
  /** Largest rotation, degrees (uniform in [-rotate, rotate]). */
  rotate?: number;
  /** Largest relative scale change (uniform in [1 - scale, 1 + scale]). */
  scale?: number;
  /** Largest shift in pixels along each axis. */
  translate?: number;
  /** Value outside the image (the normalised background, e.g. -mean/std). */
  fill?: number;
}

/**
 * Warps one h x w image: output (oy, ox) samples the input bilinearly at
 * R(-angle) (o - centre - t) / scale + centre (angle in radians), fill outside. out: h*w floats.
 */
export function affineWarp(
  img: Float32Array,
  h: number,
  w: number,
  angle: number,
  scale: number,
  ty: number,
  tx: number,
  fill: number,
  out: Float32Array
): void {
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const at = (yy: number, xx: number): number =>
    yy >= 0 && yy < h && xx >= 0 && xx < w ? img[yy * w + xx] : fill;
  for (let oy = 0; oy < h; oy++) {
    const dy = oy - cy - ty;
    for (let ox = 0; ox < w; ox++) {
      const dx = ox - cx - tx;
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[oy * w + ox] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
        fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
}

/**
 * Applies an independent random affine map (affineWarp) to each of the n images [c, h, w] in x,
 * in place, drawing angle, scale and shift uniformly from the ranges with a generator seeded
 * with seed.
 */
export function randomAffine(
  x: Float32Array,
  n: number,
  sampleShape: readonly number[],
  opts: AffineAugmentOptions,
  seed: number,
  scratch = new Float32Array(sampleShape[1] * sampleShape[2])
): void {
  const [c, h, w] = sampleShape;
  const rand = mulberry32(seed);
  const rot = ((opts.rotate ?? 0) * Math.PI) / 180;
  const sc = opts.scale ?? 0;
  const tr = opts.translate ?? 0;
  for (let i = 0; i < n; i++) {
    const a = (rand() * 2 - 1) * rot;
    const s = 1 + (rand() * 2 - 1) * sc;
    const ty = (rand() * 2 - 1) * tr;
    const tx = (rand() * 2 - 1) * tr;
    for (let ch = 0; ch < c; ch++) {
      const img = x.subarray((i * c + ch) * h * w, (i * c + ch + 1) * h * w);
      affineWarp(img, h, w, a, s, ty, tx, opts.fill ?? 0, scratch);
      img.set(scratch.subarray(0, h * w));
    }
  }
}
