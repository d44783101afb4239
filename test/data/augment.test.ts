// randomAffine: identity when all ranges are 0, a pure shift moves pixels and fills the edge,
// rotation by 90 degrees maps rows to columns, and the same seed gives the same images.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { affineWarp, randomAffine } from '../../src/data/augment.js';

const t = suite('augment');

function image(h: number, w: number, n = 1): Float32Array {
  const x = new Float32Array(n * h * w);
  for (let i = 0; i < x.length; i++) x[i] = (i * 37) % 101;
  return x;
}

t('all ranges 0: identity', () => {
  const x = image(7, 5, 3);
  const y = Float32Array.from(x);
  randomAffine(y, 3, [1, 7, 5], {}, 1);
  for (let i = 0; i < x.length; i++)
    assert.ok(Math.abs(y[i] - x[i]) < 1e-4, `pixel ${i}: ${y[i]} vs ${x[i]}`);
});

t(
  'seeded: same seed same result, other seed differs; values stay within the input range and fill',
  () => {
    const x = image(28, 28, 4);
    const a = Float32Array.from(x),
      b = Float32Array.from(x),
      c = Float32Array.from(x);
    const o = { rotate: 15, scale: 0.1, translate: 2, fill: -1 };
    randomAffine(a, 4, [1, 28, 28], o, 7);
    randomAffine(b, 4, [1, 28, 28], o, 7);
    randomAffine(c, 4, [1, 28, 28], o, 8);
    assert.equal(a, b);
    assert.ok(a.some((v, i) => v !== c[i]));
    assert.ok(a.every((v) => v >= -1 - 1e-4 && v <= 100 + 1e-4));
  }
);

t(
  'affineWarp: a quarter turn maps rows to columns, an integer shift moves pixels and fills',
  () => {
    const h = 5;
    const x = image(h, h);
    const out = new Float32Array(h * h);
    affineWarp(x, h, h, Math.PI / 2, 1, 0, 0, -1, out);
    // output (oy, ox) samples the input at (sy, sx) = (h - 1 - ox, oy)
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < h; ox++) {
        const want = x[(h - 1 - ox) * h + oy];
        assert.ok(
          Math.abs(out[oy * h + ox] - want) < 1e-3,
          `(${oy},${ox}): ${out[oy * h + ox]} vs ${want}`
        );
      }
    }
    affineWarp(x, h, h, 0, 1, 1, 2, -1, out); // shift down 1, right 2
    for (let oy = 0; oy < h; oy++) {
      for (let ox = 0; ox < h; ox++) {
        const want = oy >= 1 && ox >= 2 ? x[(oy - 1) * h + (ox - 2)] : -1;
        assert.ok(
          Math.abs(out[oy * h + ox] - want) < 1e-4,
          `shift (${oy},${ox}): ${out[oy * h + ox]} vs ${want}`
        );
      }
    }
  }
);

t('an integer shift moves pixels and fills the border', () => {
  // translate draws in [-2, 2]; with scale and rotation 0 every output pixel is either a
  // shifted input pixel (bilinear blend of neighbours) or the fill; check the value range and
  // that a constant image stays constant away from the fill
  const h = 9;
  const x = new Float32Array(h * h).fill(3);
  randomAffine(x, 1, [1, h, h], { translate: 2, fill: -5 }, 99);
  assert.ok(x[4 * h + 4] === 3, 'centre keeps its value');
  assert.ok(x.every((v) => v >= -5 - 1e-5 && v <= 3 + 1e-5));
});

t.run();
