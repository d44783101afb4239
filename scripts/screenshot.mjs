// Writes docs/demo.png, the README's picture of the demo: small-cnn trained for one epoch on
// 15,000 MNIST images on every hardware thread, then a 3 drawn on the pad with the mouse.
// `npm run screenshot` (builds first); `node scripts/screenshot.mjs --limit 6000` for a quicker one.

import { mkdir } from 'node:fs/promises';
import { drawOnPad, startBrowser, trainInDemo } from './browser.mjs';

const i = process.argv.indexOf('--limit');
const limit = i >= 0 ? Number(process.argv[i + 1]) : 15000;
const out = new URL('../docs/demo.png', import.meta.url);

/** Points of an arc around (cx, cy), radius r, from angle a0 to a1 (radians, y down). */
function arc(cx, cy, r, a0, a1, n = 14) {
  return Array.from({ length: n + 1 }, (_, k) => {
    const a = a0 + ((a1 - a0) * k) / n;
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
}

const three = [
  [
    ...arc(138, 92, 52, -0.85 * Math.PI, 0.5 * Math.PI),
    ...arc(138, 196, 58, -0.5 * Math.PI, 0.82 * Math.PI),
  ],
];

const env = await startBrowser();
try {
  const page = await env.open('/');
  const workers = Number(await page.getAttribute('#workers', 'max'));
  const stats = await trainInDemo(page, { model: 'small-cnn', workers, epochs: 1, limit });
  await drawOnPad(page, three);
  await page.waitForFunction(() => document.body.dataset.prediction !== undefined);
  await page.waitForTimeout(300);
  const prediction = await page.textContent('#prediction');
  if (page.errors.length) throw new Error(`the page logged errors: ${page.errors.join('; ')}`);
  await mkdir(new URL('.', out), { recursive: true });
  await page.screenshot({ path: out.pathname, fullPage: true });
  console.log(
    `docs/demo.png: ${limit} images on ${workers} workers, ${stats.imagesPerSecond} img/s, ` +
      `test accuracy ${stats.testAccuracy}; the drawn 3 read as ${prediction}`
  );
} finally {
  await env.close();
}
