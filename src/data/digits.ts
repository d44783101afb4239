// A hand-drawn digit to a model input as MNIST's digits were made: ink cropped to its bounding
// box, scaled so its longer side is 20 pixels, centred by mass in 28 x 28. Pure (no canvas): the
// demo's drawing pad (web/src/pad.ts) passes its alpha channel. Tests: test/data/digits.test.ts.

/** Ink above this (of 255) counts for the bounding box; fainter antialiased edges do not. */
const INK_THRESHOLD = 20;
/** MNIST fits each digit's longer side in 20 pixels and centres it by mass in 28 x 28. */
const BOX = 20;
const SIDE = 28;

/**
 * A drawn digit as MNIST's digits were made (LeCun et al.): the bounding box of the ink (pixels
 * above 20 of 255) is resized so its longer side is 20 pixels, the aspect ratio kept (each output
 * pixel the mean of the block it covers; a box smaller than 20 repeats its pixels), then placed
 * in a 28 x 28 image with its centre of mass at the centre (moved only as far as keeps it
 * inside). Returns 784 values in [0, 1], row-major, as the zoo's MNIST models take them before
 * normalisation (`predict`'s `normalize: [MNIST_MEAN, MNIST_STD]`); no ink gives all zeros.
 *
 * @param ink one intensity per pixel, row-major, 0 (background) to 255 (full ink), length
 *   `width * height`: e.g. the alpha channel of white strokes on a transparent canvas.
 * @param width ink's width in pixels.
 * @param height ink's height in pixels.
 *
 * ```ts
 * const rgba = ctx.getImageData(0, 0, 280, 280).data;
 * const alpha = rgba.filter((_, i) => i % 4 === 3);
 * const probs = predict(model, data.digitTo28(alpha, 280, 280),
 *   { normalize: [data.MNIST_MEAN, data.MNIST_STD] });
 * ```
 */
export function digitTo28(ink: ArrayLike<number>, width: number, height: number): Float32Array {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`digitTo28: ${name} must be a positive integer, got ${v}`);
    }
  }
  if (ink?.length !== width * height) {
    throw new RangeError(
      `digitTo28: ink has ${ink?.length} values, expected width * height = ` +
        `${width} * ${height} = ${width * height}`
    );
  }
  const out = new Float32Array(SIDE * SIDE);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > INK_THRESHOLD) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const s = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s));
  const th = Math.max(1, Math.round(bh * s));
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const [ya, yb] = span(ty, bh, th);
    for (let tx = 0; tx < tw; tx++) {
      const [xa, xb] = span(tx, bw, tw);
      let sum = 0;
      for (let y = y0 + ya; y < y0 + yb; y++) {
        for (let x = x0 + xa; x < x0 + xb; x++) sum += ink[y * width + x];
      }
      small[ty * tw + tx] = sum / (255 * (yb - ya) * (xb - xa));
    }
  }
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < small.length; i++) {
    mass += small[i];
    cx += small[i] * (i % tw);
    cy += small[i] * Math.floor(i / tw);
  }
  // Pixel k's centre is at k + 0.5 and the image's at 14: offset + c + 0.5 = 14.
  const centre = SIDE / 2 - 0.5;
  const ox = Math.max(0, Math.min(SIDE - tw, Math.round(centre - cx / mass)));
  const oy = Math.max(0, Math.min(SIDE - th, Math.round(centre - cy / mass)));
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(oy + y) * SIDE + ox + x] = small[y * tw + x];
  }
  return out;
}

/** The source pixels [lo, hi) that output pixel t covers when n pixels are resized to m: the
 * mean of a block when shrinking (the blocks tile the source), one pixel when growing. */
function span(t: number, n: number, m: number): [number, number] {
  const lo = Math.floor((t * n) / m);
  return [lo, Math.max(lo + 1, Math.floor(((t + 1) * n) / m))];
}
