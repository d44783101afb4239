// src/data/digits.ts (data.digitTo28) on synthetic ink: an empty image, a centred disk, a blob
// off-centre and a single pixel (centred by mass, longer side 20), wide and tall strokes (aspect
// ratio kept), grey ink and faint edges (values), a lopsided shape kept inside the frame, and
// argument errors naming the argument.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { digitTo28 } from '../../src/data/index.js';
import { throwsWith } from './expect.js';

const t = suite('digits');

/** A width x height single-channel image, paint(x, y) in 0..255 per pixel. */
function ink(width: number, height: number, paint: (x: number, y: number) => number): Uint8Array {
  const a = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) a[y * width + x] = paint(x, y);
  }
  return a;
}

const rect =
  (x0: number, y0: number, w: number, h: number, v = 255) =>
  (x: number, y: number): number =>
    x >= x0 && x < x0 + w && y >= y0 && y < y0 + h ? v : 0;

/** The output's ink: bounding box (inclusive), centre of mass (pixel k's centre at k + 0.5),
 * total, smallest and largest value. */
function measure(out: Float32Array) {
  let x0 = 28;
  let y0 = 28;
  let x1 = -1;
  let y1 = -1;
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = out[y * 28 + x];
      if (v <= 0) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  return {
    w: x1 - x0 + 1,
    h: y1 - y0 + 1,
    x0,
    y0,
    x1,
    y1,
    mass,
    cx: cx / mass,
    cy: cy / mass,
    min: Math.min(...out),
    max: Math.max(...out),
  };
}

function assertCentred(m: ReturnType<typeof measure>, what: string): void {
  // The offset is a whole pixel: the centre of mass lands within half a pixel of (14, 14).
  assert.ok(
    Math.abs(m.cx - 14) <= 0.5 && Math.abs(m.cy - 14) <= 0.5,
    `${what}: centre of mass (${m.cx.toFixed(2)}, ${m.cy.toFixed(2)}), want (14, 14) +- 0.5`
  );
}

t('an empty image (and ink no brighter than the 20/255 threshold) gives 784 zeros', () => {
  for (const [what, v] of [
    ['empty', 0],
    ['faint 20/255', 20],
  ] as const) {
    const out = digitTo28(
      ink(40, 30, () => v),
      40,
      30
    );
    assert.instance(out, Float32Array);
    assert.is(out.length, 784, what);
    assert.ok(
      out.every((x) => x === 0),
      `${what}: all zeros`
    );
  }
});

t('a centred disk r=30 in 100x100: 20x20 box, centred, values in [0, 1] with a solid 1', () => {
  const m = measure(
    digitTo28(
      ink(100, 100, (x, y) => ((x - 49.5) ** 2 + (y - 49.5) ** 2 <= 900 ? 255 : 0)),
      100,
      100
    )
  );
  assert.is(m.w, 20, 'box width');
  assert.is(m.h, 20, 'box height');
  assertCentred(m, 'disk');
  assert.ok(m.min >= 0 && m.max <= 1, `values in [${m.min}, ${m.max}]`);
  assert.is(m.max, 1, 'the inside of the disk is solid ink');
});

t('a blob off-centre (corner of 100x100) ends centred, the same image as when centred', () => {
  const corner = digitTo28(ink(100, 100, rect(3, 71, 17, 23)), 100, 100);
  const middle = digitTo28(ink(100, 100, rect(41, 38, 17, 23)), 100, 100);
  const other = digitTo28(ink(57, 64, rect(0, 0, 17, 23)), 57, 64);
  assert.equal(Array.from(corner), Array.from(middle), 'corner vs middle');
  assert.equal(Array.from(corner), Array.from(other), 'corner of 100x100 vs top-left of 57x64');
  const m = measure(corner);
  assert.is(m.h, 20, 'box height: the longer side is 20');
  assert.is(m.w, 15, 'box width: 17 * 20 / 23 = 14.8 -> 15');
  assertCentred(m, 'off-centre blob');
});

t('a single pixel of ink fills the 20x20 box, centred', () => {
  const out = digitTo28(ink(9, 7, rect(8, 0, 1, 1)), 9, 7);
  const m = measure(out);
  assert.equal([m.x0, m.y0, m.w, m.h], [4, 4, 20, 20]);
  assert.is(m.mass, 400, 'all 400 pixels of the box are 1');
});

t('wide and tall strokes keep their aspect ratio (60x12 -> 20x4, 12x60 -> 4x20)', () => {
  const wide = measure(digitTo28(ink(80, 50, rect(10, 20, 60, 12)), 80, 50));
  assert.equal([wide.w, wide.h], [20, 4], 'wide stroke box');
  assertCentred(wide, 'wide stroke');
  const tall = measure(digitTo28(ink(50, 80, rect(20, 10, 12, 60)), 50, 80));
  assert.equal([tall.w, tall.h], [4, 20], 'tall stroke box');
  assertCentred(tall, 'tall stroke');
});

t('grey ink averages to ink / 255; edges at or below 20/255 leave the box alone', () => {
  const grey = digitTo28(ink(40, 40, rect(10, 10, 20, 20, 102)), 40, 40);
  const m = measure(grey);
  assert.equal([m.w, m.h], [20, 20]);
  assert.ok(Math.abs(m.max - 0.4) < 1e-6 && Math.abs(m.min) === 0, `values ${m.min}..${m.max}`);
  // A faint halo one pixel wide around the same square: not in the box, so the same image
  // (the halo pixels inside no box pixel, and the box scale is 1).
  const halo = digitTo28(
    ink(40, 40, (x, y) => {
      const inside = x >= 10 && x < 30 && y >= 10 && y < 30;
      const ring = x >= 9 && x < 31 && y >= 9 && y < 31;
      return inside ? 102 : ring ? 20 : 0;
    }),
    40,
    40
  );
  assert.equal(Array.from(halo), Array.from(grey));
});

t('a lopsided shape stays whole inside the frame (its offset clamped, not wrapped)', () => {
  // A solid bar on the left and a thin line to the right: the centre of mass is far left, so
  // centring by mass would push the box past the right edge.
  const out = digitTo28(
    ink(60, 60, (x, y) => (x < 15 || (y === 30 && x < 60) ? 255 : 0)),
    60,
    60
  );
  const m = measure(out);
  assert.equal([m.w, m.h, m.x1], [20, 20, 27], 'box 20x20 against the right edge');
  let firstColumn = 0;
  for (let y = 0; y < 28; y++) firstColumn += out[y * 28 + m.x0];
  assert.is(firstColumn, 20, 'the bar is whole in the left column of the box');
});

t('plain number arrays work like bytes', () => {
  const bytes = ink(30, 20, rect(4, 3, 9, 14));
  assert.equal(
    Array.from(digitTo28(Array.from(bytes), 30, 20)),
    Array.from(digitTo28(bytes, 30, 20))
  );
});

t('wrong sizes throw naming the argument', () => {
  const px = new Uint8Array(12);
  throwsWith(
    () => digitTo28(px, 4, 4),
    ['digitTo28', 'ink has 12 values', 'width * height', '4 * 4 = 16'],
    'length'
  );
  throwsWith(
    () => digitTo28(px, 0, 12),
    ['digitTo28', 'width', 'positive integer', 'got 0'],
    'width 0'
  );
  throwsWith(() => digitTo28(px, 2.5, 4), ['width', 'got 2.5'], 'width 2.5');
  throwsWith(() => digitTo28(px, 3, -4), ['height', 'got -4'], 'height -4');
  throwsWith(() => digitTo28(px, 3, Number.NaN), ['height', 'got NaN'], 'height NaN');
});

t.run();
