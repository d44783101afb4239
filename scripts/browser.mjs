// Headless Chromium for the browser tests (test/browser/) and scripts (screenshot.mjs,
// bench-browser.mjs): Debian's /usr/bin/chromium driven by playwright-core, and the demo server
// in this process. `.ci/run` installs chromium when it is missing.

import { chromium } from 'playwright-core';
import { startDemoServer } from './demo-server.mjs';

export const CHROMIUM = process.env.SIMDGRAD_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium; a failure says which binary and how to install it. */
export async function launchChromium() {
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  } catch (e) {
    throw new Error(
      `cannot launch Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; ` +
        `.ci/run does it; SIMDGRAD_CHROMIUM names another binary): ${e.message.split('\n')[0]}`
    );
  }
}

/**
 * The demo server and a Chromium with one context; `close()` ends both. Pages opened with
 * `open(path)` record console errors and uncaught exceptions in `page.errors`; `initScript`
 * ([fn, arg]) runs in the page before its own scripts.
 */
export async function startBrowser() {
  const { server, url } = await startDemoServer({ port: 0 });
  let browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    server.close();
    throw e;
  }
  const context = await browser.newContext({
    viewport: { width: 1360, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    url,
    browser,
    context,
    async open(path = '', { waitReady = true, initScript } = {}) {
      const page = await context.newPage();
      if (initScript) await page.addInitScript(...initScript);
      page.errors = [];
      page.on('console', (m) => {
        if (m.type() === 'error') page.errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => page.errors.push(`uncaught: ${e.message}`));
      await page.goto(new URL(path, url).href);
      if (waitReady) await waitForReady(page);
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Waits until the demo has loaded the kernels and MNIST (body[data-state=ready]). */
export async function waitForReady(page, timeout = 60_000) {
  await page.waitForFunction(
    () => ['ready', 'failed'].includes(document.body.dataset.state),
    null,
    { timeout }
  );
  const s = await page.evaluate(() => document.body.dataset.state);
  if (s !== 'ready') {
    const notice = await page.textContent('#notice');
    throw new Error(`the demo did not start: ${notice}; ${page.errors.join('; ')}`);
  }
}

/** Presses Train with these settings and waits until the run ends; returns the stats shown. */
export async function trainInDemo(
  page,
  { model = 'small-cnn', workers = 1, epochs = 1, limit = 6000, timeout = 600_000 } = {}
) {
  await page.selectOption('#model', model);
  await page.$eval(
    '#workers',
    (el, w) => {
      el.value = String(w);
      el.dispatchEvent(new Event('input'));
    },
    workers
  );
  await page.fill('#epochs', String(epochs));
  await page.selectOption('#limit', String(limit));
  await page.click('#train');
  await page.waitForFunction(() => document.body.dataset.state === 'training', null, {
    timeout: 10_000,
  });
  await page.waitForFunction(() => document.body.dataset.state !== 'training', null, { timeout });
  return page.evaluate(() => ({
    imagesPerSecond: document.getElementById('stat-ips').textContent,
    loss: document.getElementById('stat-loss').textContent,
    trainAccuracy: document.getElementById('stat-acc').textContent,
    testAccuracy: document.getElementById('stat-test').textContent,
    status: document.getElementById('status').textContent,
  }));
}

/** Draws polylines (in pad pixels, 0..280) on the drawing pad with the mouse. */
export async function drawOnPad(page, strokes) {
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
    await page.mouse.up();
  }
}
