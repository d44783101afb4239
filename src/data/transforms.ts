// Image transforms with torchvision's semantics on f32 images [C, H, W] in plain arrays: resize
// (bilinear, antialiased like PIL unless told not to), center crop, random resized crop,
// horizontal flip, normalize; functions (torchvision.transforms.functional) and the classes that
// compose them (torchvision.transforms). Pure: no Node, no Wasm. Tests:
// test/data/transforms.test.ts (torchvision's values: test/fixtures/transforms.json, made by
// scripts/fixtures/transforms.py).

import { mulberry32 } from './loader.js';

/** ImageNet's per-channel mean and std (RGB, images in [0, 1]), what torchvision's pretrained
 * weights expect after `Normalize`. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** A size: one number (square for crops; the shorter side for Resize) or [height, width]. */
export type Size = number | readonly [number, number];

function dims(shape: readonly number[], who: string): [number, number, number] {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `${who}: images must be [C, H, W] with positive sizes, got ` + `[${shape.join(', ')}]`
    );
  }
  return [shape[0], shape[1], shape[2]];
}

function checkImage(
  img: Float32Array,
  shape: readonly number[],
  who: string
): [number, number, number] {
  const [c, h, w] = dims(shape, who);
  if (img.length !== c * h * w) {
    throw new RangeError(
      `${who}: image holds ${img.length} values, [${shape.join(', ')}] needs ` + `${c * h * w}`
    );
  }
  return [c, h, w];
}

function pair(size: Size, who: string): [number, number] {
  const s: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!s.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(
      `${who}: size must be a positive integer or [height, width] of them, ` +
        `got ${JSON.stringify(size)}`
    );
  }
  return s;
}

/** Python's round(): halves go to the even neighbour (torchvision rounds crop offsets so). */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Output [height, width] of Resize(size) for an image [_, h, w] (torchvision's
 * _compute_resized_output_size: a number sizes the shorter side, the longer one truncated). */
export function resizedSize(h: number, w: number, size: Size): [number, number] {
  if (typeof size !== 'number') return pair(size, 'resize');
  pair(size, 'resize');
  if (w <= h) return [Math.trunc((size * h) / w), size];
  return [size, Math.trunc((size * w) / h)];
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  /** `width` weights per output position, the first count[i] used. */
  weights: Float64Array;
  width: number;
}

/**
 * Interpolation weights along one axis of n -> m samples, align_corners false. Plain bilinear
 * (F.interpolate): src = max((i + 0.5) * n / m - 0.5, 0), two taps. Antialiased (PyTorch's
 * _upsample_bilinear2d_aa, PIL's resample): a triangle filter stretched by n / m when
 * shrinking, so every input pixel contributes; weights normalised to sum 1.
 */
function taps(n: number, m: number, antialias: boolean): Taps {
  const scale = n / m;
  if (!antialias) {
    const t: Taps = {
      start: new Int32Array(m),
      count: new Int32Array(m),
      weights: new Float64Array(2 * m),
      width: 2,
    };
    for (let i = 0; i < m; i++) {
      const src = Math.max((i + 0.5) * scale - 0.5, 0);
      const x0 = Math.min(Math.floor(src), n - 1);
      const l = src - x0;
      t.start[i] = x0;
      // At the last pixel both taps are the same sample: one tap of weight 1.
      t.count[i] = x0 + 1 < n ? 2 : 1;
      t.weights[2 * i] = x0 + 1 < n ? 1 - l : 1;
      t.weights[2 * i + 1] = l;
    }
    return t;
  }
  const support = scale >= 1 ? scale : 1;
  const inv = scale >= 1 ? 1 / scale : 1;
  const width = Math.ceil(support) * 2 + 1;
  const t: Taps = {
    start: new Int32Array(m),
    count: new Int32Array(m),
    weights: new Float64Array(width * m),
    width,
  };
  for (let i = 0; i < m; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), n) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const v = 1 - Math.abs((j + xmin - center + 0.5) * inv);
      const wgt = v > 0 ? v : 0;
      t.weights[i * width + j] = wgt;
      total += wgt;
    }
    for (let j = 0; j < xsize; j++) {
      t.weights[i * width + j] = total !== 0 ? t.weights[i * width + j] / total : 0;
    }
    t.start[i] = xmin;
    t.count[i] = xsize;
  }
  return t;
}

export interface ResizeOptions {
  /** Antialias when shrinking (default true: PIL's resize, and torchvision's default for tensors
   * from 0.17; false is F.interpolate's plain bilinear, torchvision 0.14's tensor default). */
  antialias?: boolean;
}

/**
 * Bilinear resize of an image [C, H, W] (torchvision.transforms.functional.resize): size a
 * number matches the shorter side keeping the aspect ratio, [h, w] is exact. Returns the new
 * image and its shape; an image already of that size is returned as it is.
 *
 * @example
 * const { data, shape } = transforms.resize(img, [3, 480, 640], 256); // shape [3, 256, 341]
 */
export function resize(
  img: Float32Array,
  shape: readonly number[],
  size: Size,
  opts: ResizeOptions = {}
): { data: Float32Array; shape: [number, number, number] } {
  const [c, h, w] = checkImage(img, shape, 'resize');
  const [oh, ow] = resizedSize(h, w, size);
  if (oh === h && ow === w) return { data: img, shape: [c, h, w] };
  const aa = opts.antialias ?? true;
  const tx = taps(w, ow, aa);
  const ty = taps(h, oh, aa);
  const rows = new Float64Array(h * ow);
  const out = new Float32Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < ow; x++) {
        const s = tx.start[x];
        const base = x * tx.width;
        let acc = 0;
        const from = plane + y * w + s;
        for (let k = 0; k < tx.count[x]; k++) acc += tx.weights[base + k] * img[from + k];
        rows[y * ow + x] = acc;
      }
    }
    const o = ch * oh * ow;
    for (let y = 0; y < oh; y++) {
      const s = ty.start[y];
      const base = y * ty.width;
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        for (let k = 0; k < ty.count[y]; k++) acc += ty.weights[base + k] * rows[(s + k) * ow + x];
        out[o + y * ow + x] = acc;
      }
    }
  }
  return { data: out, shape: [c, oh, ow] };
}

/**
 * The window [top, top + height) x [left, left + width) of an image [C, H, W]; outside the image
 * reads 0 (torchvision.transforms.functional.crop pads so).
 */
export function crop(
  img: Float32Array,
  shape: readonly number[],
  top: number,
  left: number,
  height: number,
  width: number
): Float32Array {
  const [c, h, w] = checkImage(img, shape, 'crop');
  pair([height, width], 'crop');
  if (![top, left].every(Number.isInteger)) {
    throw new RangeError(`crop: top and left must be integers, got ${top}, ${left}`);
  }
  const out = new Float32Array(c * height * width);
  const x0 = Math.max(left, 0);
  const x1 = Math.min(left + width, w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < height; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= h || x1 <= x0) continue;
      const from = (ch * h + sy) * w;
      out.set(img.subarray(from + x0, from + x1), (ch * height + y) * width + (x0 - left));
    }
  }
  return out;
}

/** The centre [h, w] of an image (torchvision's center_crop: offsets rounded as Python does;
 * a crop larger than the image pads with 0). */
export function centerCrop(img: Float32Array, shape: readonly number[], size: Size): Float32Array {
  const [, h, w] = checkImage(img, shape, 'centerCrop');
  const [ch, cw] = pair(size, 'centerCrop');
  const offset = (n: number, m: number): number =>
    m > n ? -Math.floor((m - n) / 2) : pyRound((n - m) / 2);
  return crop(img, shape, offset(h, ch), offset(w, cw), ch, cw);
}

/** crop then resize to size (torchvision.transforms.functional.resized_crop). */
export function resizedCrop(
  img: Float32Array,
  shape: readonly number[],
  top: number,
  left: number,
  height: number,
  width: number,
  size: Size,
  opts: ResizeOptions = {}
): Float32Array {
  const part = crop(img, shape, top, left, height, width);
  return resize(part, [shape[0], height, width], pair(size, 'resizedCrop'), opts).data;
}

/** The image mirrored left to right (torchvision.transforms.functional.hflip). */
export function hflip(img: Float32Array, shape: readonly number[]): Float32Array {
  const [c, h, w] = checkImage(img, shape, 'hflip');
  const out = new Float32Array(img.length);
  for (let r = 0; r < c * h; r++) {
    for (let x = 0; x < w; x++) out[r * w + x] = img[r * w + w - 1 - x];
  }
  return out;
}

/** (img - mean[c]) / std[c] per channel, into a new array (torchvision's normalize). */
export function normalizeImage(
  img: Float32Array,
  shape: readonly number[],
  mean: readonly number[],
  std: readonly number[]
): Float32Array {
  const [c, h, w] = checkImage(img, shape, 'normalize');
  checkStats(mean, std, c);
  const out = new Float32Array(img.length);
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch];
    const s = std[ch];
    for (let i = ch * plane; i < (ch + 1) * plane; i++) out[i] = (img[i] - m) / s;
  }
  return out;
}

function checkStats(mean: readonly number[], std: readonly number[], c: number): void {
  if (mean.length !== c || std.length !== c) {
    throw new RangeError(
      `normalize: mean (${mean.length} values) and std (${std.length}) must ` +
        `have one value per channel (${c})`
    );
  }
  if (!mean.every(Number.isFinite) || !std.every((s) => s > 0 && Number.isFinite(s))) {
    throw new RangeError(
      `normalize: mean must be finite and std finite and > 0, got mean ` +
        `[${mean.join(', ')}], std [${std.join(', ')}]`
    );
  }
}

/**
 * One step of an image pipeline. `apply` maps an image [C, H, W] to one of
 * `outputShape(shape)`; a random transform draws from `rand` (uniform in [0, 1)), so a seeded
 * generator makes the result reproducible. Write your own by implementing these three members.
 */
export interface Transform {
  /** True when apply draws random numbers (such a transform belongs to training batches). */
  readonly random: boolean;
  outputShape(shape: readonly number[]): [number, number, number];
  apply(img: Float32Array, shape: readonly number[], rand: () => number): Float32Array;
}

/** torchvision.transforms.Resize: bilinear, a number sizes the shorter side. */
export class Resize implements Transform {
  readonly random = false;
  readonly size: Size;
  readonly antialias: boolean;

  constructor(size: Size, opts: ResizeOptions = {}) {
    if (typeof size === 'number') pair(size, 'Resize');
    else pair(size, 'Resize');
    this.size = size;
    this.antialias = opts.antialias ?? true;
  }

  outputShape(shape: readonly number[]): [number, number, number] {
    const [c, h, w] = dims(shape, 'Resize');
    return [c, ...resizedSize(h, w, this.size)];
  }

  apply(img: Float32Array, shape: readonly number[]): Float32Array {
    return resize(img, shape, this.size, { antialias: this.antialias }).data;
  }
}

/** torchvision.transforms.CenterCrop. */
export class CenterCrop implements Transform {
  readonly random = false;
  readonly size: [number, number];

  constructor(size: Size) {
    this.size = pair(size, 'CenterCrop');
  }

  outputShape(shape: readonly number[]): [number, number, number] {
    return [dims(shape, 'CenterCrop')[0], ...this.size];
  }

  apply(img: Float32Array, shape: readonly number[]): Float32Array {
    return centerCrop(img, shape, this.size);
  }
}

export interface RandomResizedCropOptions extends ResizeOptions {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width / height (default [3/4, 4/3]), drawn log-uniform. */
  ratio?: readonly [number, number];
}

/**
 * torchvision.transforms.RandomResizedCrop: a crop of random area and aspect ratio, resized to
 * `size`. The standard augmentation for fine-tuning ImageNet models.
 */
export class RandomResizedCrop implements Transform {
  readonly random = true;
  readonly size: [number, number];
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  readonly antialias: boolean;

  constructor(size: Size, opts: RandomResizedCropOptions = {}) {
    this.size = pair(size, 'RandomResizedCrop');
    this.scale = opts.scale ?? [0.08, 1];
    this.ratio = opts.ratio ?? [3 / 4, 4 / 3];
    this.antialias = opts.antialias ?? true;
    const ok = (r: readonly number[]): boolean =>
      r.length === 2 && r[0] > 0 && r[0] <= r[1] && Number.isFinite(r[1]);
    if (!ok(this.scale) || !ok(this.ratio)) {
      throw new RangeError(
        `RandomResizedCrop: scale and ratio must be [min, max] with ` +
          `0 < min <= max, got scale ${JSON.stringify(this.scale)}, ` +
          `ratio ${JSON.stringify(this.ratio)}`
      );
    }
  }

  /**
   * [top, left, height, width] of a crop of an h x w image (torchvision's get_params): up to 10
   * draws of area and log-ratio, the first that fits wins; else the central crop clamped to the
   * ratio range.
   */
  static getParams(
    h: number,
    w: number,
    scale: readonly [number, number],
    ratio: readonly [number, number],
    rand: () => number
  ): [number, number, number, number] {
    const area = h * w;
    const lo = Math.log(ratio[0]);
    const hi = Math.log(ratio[1]);
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * (scale[0] + (scale[1] - scale[0]) * rand());
      const aspect = Math.exp(lo + (hi - lo) * rand());
      const cw = pyRound(Math.sqrt(target * aspect));
      const chh = pyRound(Math.sqrt(target / aspect));
      if (cw > 0 && cw <= w && chh > 0 && chh <= h) {
        const top = Math.floor(rand() * (h - chh + 1));
        const left = Math.floor(rand() * (w - cw + 1));
        return [top, left, chh, cw];
      }
    }
    const inRatio = w / h;
    let cw = w;
    let chh = h;
    if (inRatio < ratio[0]) chh = pyRound(cw / ratio[0]);
    else if (inRatio > ratio[1]) cw = pyRound(chh * ratio[1]);
    return [Math.floor((h - chh) / 2), Math.floor((w - cw) / 2), chh, cw];
  }

  outputShape(shape: readonly number[]): [number, number, number] {
    return [dims(shape, 'RandomResizedCrop')[0], ...this.size];
  }

  apply(img: Float32Array, shape: readonly number[], rand: () => number): Float32Array {
    const [, h, w] = checkImage(img, shape, 'RandomResizedCrop');
    const [top, left, ch, cw] = RandomResizedCrop.getParams(h, w, this.scale, this.ratio, rand);
    return resizedCrop(img, shape, top, left, ch, cw, this.size, { antialias: this.antialias });
  }
}

/** torchvision.transforms.RandomHorizontalFlip: mirrors with probability p (default 0.5). */
export class RandomHorizontalFlip implements Transform {
  readonly random = true;
  readonly p: number;

  constructor(p = 0.5) {
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`RandomHorizontalFlip: p must be in [0, 1], got ${p}`);
    }
    this.p = p;
  }

  outputShape(shape: readonly number[]): [number, number, number] {
    return dims(shape, 'RandomHorizontalFlip');
  }

  apply(img: Float32Array, shape: readonly number[], rand: () => number): Float32Array {
    return rand() < this.p ? hflip(img, shape) : img;
  }
}

/** torchvision.transforms.Normalize (default: ImageNet's mean and std). */
export class Normalize implements Transform {
  readonly random = false;
  readonly mean: readonly number[];
  readonly std: readonly number[];

  constructor(mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD) {
    checkStats(mean, std, mean.length);
    this.mean = [...mean];
    this.std = [...std];
  }

  outputShape(shape: readonly number[]): [number, number, number] {
    const s = dims(shape, 'Normalize');
    checkStats(this.mean, this.std, s[0]);
    return s;
  }

  apply(img: Float32Array, shape: readonly number[]): Float32Array {
    return normalizeImage(img, shape, this.mean, this.std);
  }
}

/**
 * torchvision.transforms.Compose: the transforms in order.
 *
 * @example
 * const train = new transforms.Compose([new transforms.RandomResizedCrop(64),
 *   new transforms.RandomHorizontalFlip(), new transforms.Normalize()]);
 * const test = new transforms.Compose([new transforms.Resize(73), new transforms.CenterCrop(64),
 *   new transforms.Normalize()]);
 */
export class Compose implements Transform {
  readonly transforms: readonly Transform[];
  readonly random: boolean;

  constructor(list: readonly Transform[]) {
    list.forEach((t, i) => {
      if (!t || typeof t.apply !== 'function' || typeof t.outputShape !== 'function') {
        throw new TypeError(`Compose: transforms[${i}] is not a Transform (apply, outputShape)`);
      }
    });
    this.transforms = [...list];
    this.random = list.some((t) => t.random);
  }

  outputShape(shape: readonly number[]): [number, number, number] {
    let s = dims(shape, 'Compose');
    for (const t of this.transforms) s = t.outputShape(s);
    return s;
  }

  apply(img: Float32Array, shape: readonly number[], rand: () => number): Float32Array {
    let x = img;
    let s = dims(shape, 'Compose');
    for (const t of this.transforms) {
      x = t.apply(x, s, rand);
      s = t.outputShape(s);
    }
    return x;
  }
}

/**
 * Applies transform to each of the n images [C, H, W] of x in turn, drawing from one generator
 * seeded with seed (the Trainer passes each step's seed, so the batch is the same for any worker
 * count). Returns the images, [n, ...outputShape], in out when given.
 */
export function transformBatch(
  transform: Transform,
  x: Float32Array,
  n: number,
  sampleShape: readonly number[],
  seed: number,
  out?: Float32Array
): { x: Float32Array; sampleShape: [number, number, number] } {
  const inShape = dims(sampleShape, 'transformBatch');
  const outShape = transform.outputShape(inShape);
  const inSize = inShape[0] * inShape[1] * inShape[2];
  const outSize = outShape[0] * outShape[1] * outShape[2];
  const dst = out ?? new Float32Array(n * outSize);
  if (dst.length < n * outSize) {
    throw new RangeError(
      `transformBatch: out holds ${dst.length} values, ${n} images of ` +
        `[${outShape.join(', ')}] need ${n * outSize}`
    );
  }
  const rand = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const img = transform.apply(x.subarray(i * inSize, (i + 1) * inSize), inShape, rand);
    if (img.length !== outSize) {
      throw new RangeError(
        `transformBatch: the transform made ${img.length} values from image ` +
          `${i}, its outputShape [${outShape.join(', ')}] says ${outSize}`
      );
    }
    dst.set(img, i * outSize);
  }
  return { x: dst.subarray(0, n * outSize), sampleShape: outShape };
}
