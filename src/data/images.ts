// Image classification sets built from pictures: RGBA pixels to RGB floats [3, H, W] in [0, 1]
// (torchvision's ToTensor after PIL's convert('RGB'), which drops alpha), a transform per image,
// and the stacked data set. fromImages reads what a page has (ImageData, ImageBitmap, canvas,
// <img>, <video>); imageFolder (image-folder.ts, Node) decodes files into the same form.
// Pure: canvases are touched only when given. Tests: test/data/image-folder.test.ts, test/browser/.

import type { ImageDataset } from './dataset.js';
import { mulberry32 } from './loader.js';
import type { Transform } from './transforms.js';

/** An image as decoded: width x height RGBA bytes, row-major (ImageData's layout). */
export interface RgbaPixels {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** A labelled set of pictures: an ImageDataset [n, 3, H, W] in [0, 1] (or normalised by the
 * transform), with the class names (torchvision's `classes`) and where each sample came from. */
export interface PictureDataset extends ImageDataset {
  /** Class names, index = label (sorted folder names for imageFolder). */
  classNames: string[];
  /** Name -> label (torchvision's class_to_idx). */
  classToIdx: Record<string, number>;
  /** [source, label] per sample (file paths for imageFolder; indices for fromImages). */
  samples: [string, number][];
}

const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** RGBA bytes to RGB floats [3, height, width] in [0, 1] (alpha dropped). */
export function rgbaToImage(px: RgbaPixels, who = 'rgbaToImage'): Float32Array {
  const { width, height, data } = px;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${who}: an image must be at least 1x1, got ${width}x${height}`);
  }
  const plane = width * height;
  if (!data || data.length !== 4 * plane) {
    throw new RangeError(
      `${who}: ${width}x${height} RGBA pixels need ${4 * plane} bytes, got ` + `${data?.length}`
    );
  }
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = UNIT[data[4 * i]];
    out[plane + i] = UNIT[data[4 * i + 1]];
    out[2 * plane + i] = UNIT[data[4 * i + 2]];
  }
  return out;
}

/** Collects images one by one (transformed on arrival, so large pictures are never kept) into
 * one array, checking that they all end up the same shape. */
export class ImageStack {
  private readonly parts: Float32Array[] = [];
  private shape: [number, number, number] | null = null;
  private firstName = '';
  private readonly rand: () => number;

  constructor(
    private readonly who: string,
    private readonly transform?: Transform,
    seed = 0
  ) {
    this.rand = mulberry32(seed);
  }

  add(px: RgbaPixels, name: string): void {
    let img = rgbaToImage(px, `${this.who}: ${name}`);
    let shape: [number, number, number] = [3, px.height, px.width];
    if (this.transform) {
      const out = this.transform.outputShape(shape);
      img = this.transform.apply(img, shape, this.rand);
      shape = out;
    }
    if (!this.shape) {
      this.shape = shape;
      this.firstName = name;
    } else if (shape.some((d, i) => d !== this.shape![i])) {
      throw new RangeError(
        `${this.who}: images differ in size: ${this.firstName} gives ` +
          `[${this.shape.join(', ')}], ${name} [${shape.join(', ')}]; give a transform that makes ` +
          'one size, e.g. new transforms.Compose([new transforms.Resize(S), ' +
          'new transforms.CenterCrop(S)])'
      );
    }
    this.parts.push(img);
  }

  dataset(labels: Int32Array, classNames: string[], samples: [string, number][]): PictureDataset {
    const n = this.parts.length;
    if (!this.shape || n === 0) throw new RangeError(`${this.who}: no images`);
    const size = this.shape[0] * this.shape[1] * this.shape[2];
    const images = new Float32Array(n * size);
    this.parts.forEach((p, i) => images.set(p, i * size));
    const classToIdx: Record<string, number> = {};
    classNames.forEach((c, i) => (classToIdx[c] = i));
    return {
      images,
      labels,
      n,
      shape: [n, ...this.shape],
      sampleShape: [...this.shape],
      classes: classNames.length,
      classNames,
      classToIdx,
      samples,
    };
  }
}

/** What a page can hand over as a picture: pixels it has, or anything a 2D canvas can draw. */
export type ImageSource = RgbaPixels | CanvasImageSource;

/** The RGBA pixels of a page image: ImageData (or any {width, height, data}) as it is; an
 * ImageBitmap, canvas, <img> or <video> drawn on a canvas of its size. */
export function readPixels(src: ImageSource): RgbaPixels {
  if (src && typeof src === 'object' && 'data' in src && 'width' in src) return src as RgbaPixels;
  const s = src as CanvasImageSource & {
    videoWidth?: number;
    naturalWidth?: number;
    videoHeight?: number;
    naturalHeight?: number;
    width: number;
    height: number;
  };
  const width = s.videoWidth || s.naturalWidth || Number(s.width);
  const height = s.videoHeight || s.naturalHeight || Number(s.height);
  if (!(width > 0 && height > 0)) {
    throw new RangeError(
      `readPixels: the image has no size yet (${width}x${height}); wait for ` + 'it to load'
    );
  }
  const g = globalThis as { OffscreenCanvas?: typeof OffscreenCanvas; document?: Document };
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (g.OffscreenCanvas) {
    ctx = new g.OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  } else if (g.document) {
    const canvas = g.document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    ctx = canvas.getContext('2d', { willReadFrequently: true });
  } else {
    throw new TypeError(
      'readPixels: no canvas here to draw the image on; pass ImageData or ' +
        '{width, height, data} (RGBA bytes)'
    );
  }
  if (!ctx) throw new Error('readPixels: could not get a 2D canvas context');
  ctx.drawImage(src as CanvasImageSource, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

export interface FromImagesOptions {
  /** Applied to each image as it is read ([3, H, W] in [0, 1] in); must give one size for all
   * (e.g. Resize + CenterCrop). Random transforms draw from a generator seeded with seed. */
  transform?: Transform;
  seed?: number;
  /** Class names, index = label (default '0', '1', ... up to the largest label). */
  classNames?: string[];
}

/**
 * A labelled image data set from pictures in a page: ImageData, ImageBitmap, canvas, <img>,
 * <video> (its current frame) or {width, height, data} RGBA bytes. Images become RGB floats
 * [3, H, W] in [0, 1], then go through opts.transform; the Trainer takes the result.
 *
 * @example
 * const bitmaps = await Promise.all(files.map((f) => createImageBitmap(f)));
 * const train = data.fromImages(bitmaps, labels, { classNames: ['cat', 'dog'],
 *   transform: new data.transforms.Compose([new data.transforms.Resize(80),
 *     new data.transforms.CenterCrop(80)]) });
 */
export function fromImages(
  images: readonly ImageSource[],
  labels: ArrayLike<number>,
  opts: FromImagesOptions = {}
): PictureDataset {
  if (!images || images.length === 0) throw new RangeError('fromImages: no images given');
  if (!labels || labels.length !== images.length) {
    throw new RangeError(`fromImages: ${labels?.length} labels for ${images.length} images`);
  }
  const lab = Int32Array.from(labels);
  lab.forEach((v, i) => {
    if (!Number.isInteger(labels[i]) || v < 0) {
      throw new RangeError(`fromImages: labels[${i}] must be an integer >= 0, got ${labels[i]}`);
    }
  });
  const top = Math.max(...lab) + 1;
  const classNames = opts.classNames
    ? [...opts.classNames]
    : Array.from({ length: top }, (_, i) => String(i));
  if (classNames.length < top) {
    throw new RangeError(
      `fromImages: label ${top - 1} has no class name (${classNames.length} ` + 'names given)'
    );
  }
  const stack = new ImageStack('fromImages', opts.transform, opts.seed ?? 0);
  images.forEach((img, i) => stack.add(readPixels(img), `image ${i}`));
  return stack.dataset(
    lab,
    classNames,
    Array.from(lab, (l, i) => [String(i), l])
  );
}
