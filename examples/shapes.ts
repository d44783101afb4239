// A small synthetic image set for the fine-tuning example and its tests: three classes of
// coloured shapes (circle, square, triangle) at random places, sizes and hues on a noisy
// background, as RGBA pixels, and written as an ImageFolder tree of PNG and JPEG files.
// Used by examples/fine-tune.ts, test/examples/ and test/browser/finetune.test.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export const SHAPES = ['circle', 'square', 'triangle'] as const;

function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** HSV (h in turns) to RGB bytes. */
function hsv(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/**
 * One size x size RGBA image of class `cls` (0 circle, 1 square, 2 triangle): the shape filled
 * in a hue around the class's own (red, green, blue, +-0.08 turns), 35-70% of the image wide,
 * anywhere it fits, over light noise.
 */
export function shapeImage(cls: number, size: number, seed: number): Uint8Array {
  const rand = generator(seed * 7919 + cls * 104729 + 1);
  const px = new Uint8Array(size * size * 4);
  const bg = 170 + 60 * rand();
  const [r, g, b] = hsv(
    (cls / 3 + (rand() - 0.5) * 0.16 + 1) % 1,
    0.55 + 0.4 * rand(),
    0.5 + 0.45 * rand()
  );
  const half = (size * (0.35 + 0.35 * rand())) / 2;
  const cx = half + rand() * (size - 2 * half);
  const cy = half + rand() * (size - 2 * half);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const inside =
        cls === 0
          ? dx * dx + dy * dy <= half * half
          : cls === 1
            ? Math.abs(dx) <= half * 0.85 && Math.abs(dy) <= half * 0.85
            : dy <= half * 0.8 &&
              dy >= -half &&
              Math.abs(dx) <= ((dy + half) / (1.8 * half)) * half;
      const noise = (rand() - 0.5) * 24;
      const o = 4 * (y * size + x);
      px[o] = Math.max(0, Math.min(255, (inside ? r : bg) + noise));
      px[o + 1] = Math.max(0, Math.min(255, (inside ? g : bg) + noise));
      px[o + 2] = Math.max(0, Math.min(255, (inside ? b : bg) + noise));
      px[o + 3] = 255;
    }
  }
  return px;
}

/** PNG file bytes of RGBA pixels. */
export function encodePng(width: number, height: number, px: Uint8Array): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(px);
  return new Uint8Array(PNG.sync.write(png));
}

/** JPEG file bytes (quality 90) of RGBA pixels. */
export function encodeJpeg(width: number, height: number, px: Uint8Array): Uint8Array {
  return new Uint8Array(jpeg.encode({ width, height, data: px }, 90).data);
}

/**
 * Writes root/<split>/<shape>/<i>.png|jpg for each split ({ train: 24, val: 10 } images per
 * class), every other image a JPEG; returns root.
 */
export async function writeShapesFolder(
  root: string,
  perClass: Record<string, number>,
  size = 64,
  seed = 1
): Promise<string> {
  let offset = seed * 100_000;
  for (const [split, n] of Object.entries(perClass)) {
    for (const [cls, name] of SHAPES.entries()) {
      const dir = join(root, split, name);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < n; i++) {
        const px = shapeImage(cls, size, offset + i);
        const file = i % 2 === 0 ? `${i}.png` : `${i}.jpg`;
        await writeFile(
          join(dir, file),
          i % 2 === 0 ? encodePng(size, size, px) : encodeJpeg(size, size, px)
        );
      }
    }
    offset += 10_000;
  }
  return root;
}
