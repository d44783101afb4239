// data.imageFolder (Node): torchvision's ImageFolder layout, one folder per class under root,
// sorted class names as labels, files walked as torchvision walks them; PNG and JPEG decoded by
// the pure-JS pngjs and jpeg-js (imported on first use, so nothing here reaches a page's import
// graph). Tests: test/data/image-folder.test.ts.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStack, type PictureDataset, type RgbaPixels } from './images.js';
import type { Transform } from './transforms.js';

/** torchvision's IMG_EXTENSIONS: files with these endings are samples (case-insensitive). */
export const IMG_EXTENSIONS = [
  '.jpg',
  '.jpeg',
  '.png',
  '.ppm',
  '.bmp',
  '.pgm',
  '.tif',
  '.tiff',
  '.webp',
];

export interface ImageFolderOptions {
  /** Applied to each image as it is read ([3, H, W] in [0, 1] in); must give one size for every
   * image (e.g. Resize + CenterCrop) unless they already share one. */
  transform?: Transform;
  /** Seed of the generator random transforms draw from (default 0). */
  seed?: number;
}

interface Decoders {
  png: { sync: { read(b: Buffer): { width: number; height: number; data: Buffer } } };
  jpeg: { decode(b: Uint8Array, o: object): { width: number; height: number; data: Uint8Array } };
}

let decoders: Promise<Decoders> | null = null;

function loadDecoders(): Promise<Decoders> {
  decoders ??= (async () => {
    type PngModule = { PNG?: Decoders['png']; default?: { PNG: Decoders['png'] } };
    type JpegModule = Decoders['jpeg'] & { default?: Decoders['jpeg'] };
    const png = (await import('pngjs')) as unknown as PngModule;
    const jpeg = (await import('jpeg-js')) as unknown as JpegModule;
    return { png: png.PNG ?? png.default!.PNG, jpeg: jpeg.default ?? jpeg };
  })();
  return decoders;
}

/**
 * The RGBA pixels of a PNG or JPEG file's bytes (told apart by their signature). name is used in
 * errors.
 */
export async function decodeImage(bytes: Uint8Array, name: string): Promise<RgbaPixels> {
  const { png, jpeg } = await loadDecoders();
  const isPng =
    bytes.length > 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      const img = png.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const px = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
      return { width: img.width, height: img.height, data: px };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw new Error(
      `${name}: cannot decode the ${isPng ? 'PNG' : 'JPEG'} file: ` + (e as Error).message
    );
  }
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(
    `${name}: byte offset 0: not a PNG or JPEG file (starts ${head}); only PNG and ` +
      'JPEG are decoded'
  );
}

/** Python's sorted() on str: by code point (JS's default compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

/** (folder, sorted file names) for dir and every folder below it, links followed, in the order
 * of sorted(os.walk(dir)) — what torchvision's make_dataset iterates. */
async function walk(dir: string, out: [string, string[]][] = []): Promise<[string, string[]][]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of entries) {
    const dirLike = e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(dir, e.name))));
    (dirLike ? dirs : files).push(e.name);
  }
  out.push([dir, files.sort(byCodePoint)]);
  for (const d of dirs) await walk(join(dir, d), out);
  return out;
}

/**
 * An image classification data set from a folder laid out as torchvision's ImageFolder expects:
 * `root/<class>/**\/<image>`, classes = the sorted names of root's sub-folders (label = index),
 * files with an image extension (IMG_EXTENSIONS) at any depth below them. PNG and JPEG are
 * decoded (pure JS); images become RGB floats [3, H, W] in [0, 1] (alpha dropped, grey
 * repeated), then go through opts.transform.
 *
 * @example
 * const tf = new transforms.Compose([new transforms.Resize(72), new transforms.CenterCrop(64)]);
 * const train = await data.imageFolder('photos/train', { transform: tf });
 * train.classNames; // ['cat', 'dog']; train.sampleShape [3, 64, 64]
 */
export async function imageFolder(
  root: string,
  opts: ImageFolderOptions = {}
): Promise<PictureDataset> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    throw new Error(`imageFolder: cannot read the folder ${root}: ${(e as Error).message}`);
  }
  const classNames: string[] = [];
  for (const e of entries) {
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(root, e.name))))) {
      classNames.push(e.name);
    }
  }
  classNames.sort(byCodePoint);
  if (classNames.length === 0) {
    throw new Error(
      `imageFolder: ${root} has no sub-folders; put each class's images in a ` +
        'folder of its own (root/<class>/<image>)'
    );
  }
  const samples: [string, number][] = [];
  const empty: string[] = [];
  for (const [label, name] of classNames.entries()) {
    const before = samples.length;
    const walked = (await walk(join(root, name))).sort((a, b) => byCodePoint(a[0], b[0]));
    for (const [dir, files] of walked) {
      for (const f of files) {
        const image = IMG_EXTENSIONS.some((ext) => f.toLowerCase().endsWith(ext));
        if (image) samples.push([join(dir, f), label]);
      }
    }
    if (samples.length === before) empty.push(name);
  }
  if (empty.length > 0) {
    throw new Error(
      `imageFolder: found no image files for the classes ${empty.join(', ')} under ` +
        `${root} (extensions: ${IMG_EXTENSIONS.join(' ')})`
    );
  }
  const stack = new ImageStack('imageFolder', opts.transform, opts.seed ?? 0);
  for (const [path] of samples) {
    stack.add(await decodeImage(new Uint8Array(await readFile(path)), path), path);
  }
  return stack.dataset(
    Int32Array.from(samples, ([, l]) => l),
    classNames,
    samples
  );
}
