// The demo's "Your images" mode in headless Chromium (web/src/finetune.ts): three classes of
// generated shapes (examples/shapes.ts, PNG) picked as files, a small CNN trained in the tab on
// 2 Web Workers with the slider, then held-out images picked one by one and classified, most of
// them right; no console errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { SHAPES, encodePng, shapeImage } from '../../examples/shapes.js';

interface DemoPage extends Page {
  errors: string[];
}
interface Harness {
  startBrowser(): Promise<{ open(path?: string): Promise<DemoPage>; close(): Promise<void> }>;
}

const t = suite('browser-finetune');
const root = new URL('../../../', import.meta.url);
const harness = (await import(new URL('scripts/browser.mjs', root).href)) as Harness;

const png = (cls: number, seed: number): { name: string; mimeType: string; buffer: Buffer } => ({
  name: `${SHAPES[cls]}-${seed}.png`,
  mimeType: 'image/png',
  buffer: Buffer.from(encodePng(64, 64, shapeImage(cls, 64, seed))),
});

t(
  'Your images: pick 8 images per class, train on 2 workers, classify held-out images',
  async () => {
    const env = await harness.startBrowser();
    try {
      const page = await env.open('/');
      await page.click('#modes button[data-mode="images"]');
      await page.waitForFunction(() => document.body.dataset.ft === 'idle');
      assert.ok(await page.isVisible('#ft'), 'the fine-tuning card shows');
      assert.not.ok(await page.isVisible('#pad'), 'the digits pad hides');
      await page.click('#ft-add-class');
      for (const [k, name] of SHAPES.entries()) {
        await page.fill(`#ft-classes .ft-class:nth-child(${k + 1}) input[type="text"]`, name);
        await page.setInputFiles(
          `#ft-files-${k}`,
          Array.from({ length: 8 }, (_, i) => png(k, 100 + i))
        );
      }
      await page.waitForFunction(() => document.getElementById('ft-count')!.textContent === '24');
      assert.is(await page.inputValue('#ft-workers'), '2');
      await page.fill('#ft-epochs', '12');
      await page.click('#ft-train');
      await page.waitForFunction(() => document.body.dataset.ft !== 'training', null, {
        timeout: 180_000,
      });
      const status = await page.textContent('#ft-status');
      assert.is(
        await page.evaluate(() => document.body.dataset.ft),
        'trained',
        `status: ${status}`
      );
      assert.match(
        (await page.textContent('#ft-log')) ?? '',
        /on 24 images of 3 classes, 64x64, 12 epochs, 2 workers/
      );
      let right = 0;
      const guesses: string[] = [];
      for (const [k, name] of SHAPES.entries()) {
        for (let i = 0; i < 3; i++) {
          await page.evaluate(() => delete document.body.dataset.ftPrediction);
          await page.setInputFiles('#ft-predict-file', png(k, 900 + i));
          await page.waitForFunction(() => document.body.dataset.ftPrediction !== undefined);
          const guess = await page.evaluate(() => document.body.dataset.ftPrediction!);
          guesses.push(`${name}->${guess}`);
          if (guess === name) right++;
        }
      }
      assert.ok(
        right >= 6,
        `${right} of 9 held-out images right (chance 3): ${guesses.join(', ')}; ${status}`
      );
      assert.is((await page.$$('#ft-bars > div')).length, 3);
      assert.equal(page.errors, [], 'console errors');
    } finally {
      await env.close();
    }
  }
);

t.run();
