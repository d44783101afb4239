// Intra-op threads in headless Chromium (src/runtime/threads.ts, helpers as module Web Workers:
// web-thread.ts, thread-web-worker.ts): in a cross-origin isolated page, setNumThreads(2) runs
// on one thread until threadsReady() resolves, then predict on a small CNN gives bitwise the
// output of one thread with parts run by a helper, on the page's main thread (which spins) and in
// a module Web Worker (which blocks in Atomics.wait); without isolation it stays on one thread.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';

interface TestPage extends Page {
  errors: string[];
}
interface Harness {
  startBrowser(): Promise<{
    open(path?: string, o?: { waitReady?: boolean }): Promise<TestPage>;
    close(): Promise<void>;
  }>;
}
interface Outcome {
  isolated: boolean;
  usable: number;
  earlySplits: number;
  splits: number;
  helperParts: number;
  one: number[];
  early: number[];
  two: number[];
}

const t = suite('browser-threads');
const root = new URL('../../../', import.meta.url);
const harness = (await import(new URL('scripts/browser.mjs', root).href)) as Harness;

/**
 * predict on small-cnn (batch 2) with 1 thread, then with 2 before and after threadsReady();
 * split calls and helper parts counted. Runs in the page or a worker as source text: it may use
 * only its arguments (the library and its threads module, imported there).
 */
async function compare(
  lib: typeof import('../../src/index.js'),
  threads: typeof import('../../src/runtime/threads.js')
): Promise<Outcome> {
  await lib.init();
  threads.threadTesting.setMinPartFlops(1e4);
  lib.manualSeed(3);
  const model = lib.createModel('small-cnn');
  const x = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
  const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer));
  lib.setNumThreads(1);
  const one = lib.predict(model, x);
  lib.setNumThreads(2);
  let before = threads.threadTesting.splitCalls();
  const early = lib.predict(model, x);
  const earlySplits = threads.threadTesting.splitCalls() - before;
  const usable = await lib.threadsReady();
  before = threads.threadTesting.splitCalls();
  const parts = threads.threadTesting.helperParts();
  const two = lib.predict(model, x);
  const out = {
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    usable,
    earlySplits,
    splits: threads.threadTesting.splitCalls() - before,
    helperParts: threads.threadTesting.helperParts() - parts,
    one: bits(one),
    early: bits(early),
    two: bits(two),
  };
  lib.setNumThreads(1);
  threads.threadTesting.setMinPartFlops();
  model.dispose();
  return out;
}

/** compare() in the page (where = 'page') or in a module Web Worker the page starts. */
async function run(page: Page, where: 'page' | 'worker'): Promise<Outcome> {
  return page.evaluate(
    async ([src, inWorker]) => {
      const lib = `${location.origin}/dist/src/index.js`;
      const thr = `${location.origin}/dist/src/runtime/threads.js`;
      const body =
        `const compare = ${src};\n` +
        `const run = async () => compare(await import('${lib}'), await import('${thr}'));\n`;
      if (!inWorker) return new Function(`${body}return run();`)() as Promise<Outcome>;
      const code = `${body}run().then((r) => postMessage({ r }), (e) => postMessage({ e: String(e) }));`;
      const worker = new Worker(
        URL.createObjectURL(new Blob([code], { type: 'text/javascript' })),
        { type: 'module' }
      );
      try {
        return await new Promise<Outcome>((resolve, reject) => {
          worker.onmessage = (e) => (e.data.e ? reject(new Error(e.data.e)) : resolve(e.data.r));
          worker.onerror = (e) => reject(new Error(e.message || 'the worker failed'));
        });
      } finally {
        worker.terminate();
      }
    },
    [compare.toString(), where === 'worker'] as const
  );
}

function sameBits(label: string, got: number[], want: number[]): void {
  assert.is(got.length, want.length, `${label}: length`);
  const i = got.findIndex((b, j) => b !== want[j]);
  assert.is(i, -1, `${label}: element ${i} differs (bits ${got[i]} vs ${want[i]})`);
}

for (const where of ['page', 'worker'] as const) {
  t(
    `cross-origin isolated ${where}: setNumThreads(2) predicts bitwise as 1 thread, parts on a helper`,
    async () => {
      const env = await harness.startBrowser();
      try {
        const page = await env.open('/blank.html', { waitReady: false });
        const r = await run(page, where);
        assert.is(r.isolated, true, 'crossOriginIsolated');
        assert.is(r.earlySplits, 0, 'split before the helpers were ready');
        sameBits('before threadsReady()', r.early, r.one);
        assert.is(r.usable, 2, 'threadsReady()');
        assert.ok(r.splits > 0, 'no kernel call split');
        assert.ok(r.helperParts > 0, 'no part ran on a helper');
        sameBits('2 threads', r.two, r.one);
        assert.equal(page.errors, [], 'console errors');
      } finally {
        await env.close();
      }
    }
  );
}

t('page without COOP/COEP: setNumThreads(2) stays on one thread', async () => {
  const env = await harness.startBrowser();
  try {
    const page = await env.open('/blank.html?isolated=0', { waitReady: false });
    const r = await run(page, 'page');
    assert.is(r.isolated, false, 'crossOriginIsolated');
    assert.is(r.usable, 1, 'threadsReady()');
    assert.is(r.splits + r.helperParts, 0, 'split without shared memory');
    sameBits('2 threads asked', r.two, r.one);
    assert.equal(page.errors, [], 'console errors');
  } finally {
    await env.close();
  }
});

t.run();
