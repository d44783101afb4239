// simdgrad as an app developer gets it: `npm pack`, the tarball installed into a copy of
// examples/web-app (under tmp/), the app bundled for production by Vite (its own config, served
// by `vite preview`), esbuild (examples/web-app/esbuild.mjs) and webpack 5 (its config), each
// loaded in headless Chromium: steps on one thread lower the loss; cross-origin isolated, a
// Trainer runs an epoch on two Web Workers; no page error, no failed request, one .wasm fetched
// (the chosen build); without COOP/COEP the Trainer says why and stays on one thread. Vite and
// webpack bundle the intra-op helper's Web Worker script (runtime/thread-web-worker.js). No bundle
// reaches a node: built-in, piscina or simdgrad's Node-only modules, and an app using only
// inference ships no trainer (package.json sideEffects); the package names no source map it does
// not ship. Gzipped sizes are printed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';

const run = promisify(execFile);
const t = suite('bundlers');
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// Inside the repository, so the app's configs find vite, esbuild and webpack (dev dependencies)
// the way an app finds its own; the app's own node_modules holds simdgrad and its dependencies.
const WORK = join(ROOT, 'tmp', `bundlers-${process.pid}`);
const APP = join(WORK, 'app');

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Modules no browser bundle may hold: Node built-ins, piscina, simdgrad's Node-only side. */
const NODE_ONLY = [
  /^node:/,
  /(^|\0|[/\\])node:[a-z_/]+$/,
  /^stubbed:/,
  /[/\\]node_modules[/\\]piscina[/\\]/,
  ...[
    'runtime/node',
    'parallel/piscina-pool',
    'parallel/worker',
    'data/mnist',
    'data/fashion-mnist',
    'data/idx-node',
    'data/image-folder',
    'train/checkpoint',
    'io/safetensors-node',
    'cli/[^/]+',
  ].map((m) => new RegExp(`simdgrad/dist/src/${m}\\.js$`.replace(/\//g, '[/\\\\]'))),
];

interface Bundle {
  dir: string;
  /** Every module the bundler reached from the app's entries (the worker's included), before
   * tree-shaking drops what is unused. */
  modules: string[];
}

interface PageRun {
  state: string;
  result: {
    build: string;
    steps: number[];
    isolated: boolean;
    trainerOut?: string;
    error?: string;
    epoch?: { loss: number; accuracy: number };
  };
  errors: string[];
  failed: string[];
  wasm: string[];
  workers: number;
}

let browser: Browser | null = null;
const bundles: Record<string, Bundle> = {};
const sizes: string[] = [];

async function setup(): Promise<void> {
  await rm(WORK, { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--silent', '--pack-destination', WORK],
    { cwd: ROOT }
  );
  const tarball = join(WORK, stdout.trim().split('\n').pop()!);
  await cp(join(ROOT, 'examples', 'web-app'), APP, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|dist[^/\\]*)$/.test(src),
  });
  // The app's package.json without its bundlers (the repository's are used), then the tarball.
  await writeFile(
    join(APP, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' })
  );
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--omit=optional',
      tarball,
    ],
    { cwd: APP }
  );
  const harness = (await import(pathToFileURL(join(ROOT, 'scripts', 'browser.mjs')).href)) as {
    launchChromium(): Promise<Browser>;
  };
  browser = await harness.launchChromium();
}

const ready = setup();
ready.catch(() => undefined); // each test awaits it and fails with its reason

t.after(async () => {
  await browser?.close().catch(() => undefined);
  await rm(WORK, { recursive: true, force: true });
});

/** A static server for dir (index.html at /), with or without the isolation headers. */
async function serve(dir: string, isolated: boolean): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
  };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(dir, path === '/' ? 'index.html' : path);
    const headers = isolated ? ISOLATION : {};
    if (relative(dir, file).startsWith('..')) {
      res.writeHead(403, headers).end();
      return;
    }
    readFile(file).then(
      (body) => {
        const type = types[extname(file)] ?? 'application/octet-stream';
        res.writeHead(200, { ...headers, 'Content-Type': type });
        res.end(body);
      },
      () => res.writeHead(404, headers).end('not found')
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, server };
}

/** Opens the app at url and waits until it has trained (or failed). */
async function load(url: string): Promise<PageRun> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const failed: string[] = [];
  const wasm: string[] = [];
  let workers = 0;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('worker', () => workers++);
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.url()}: HTTP ${r.status()}`);
    if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, {
      timeout: 120_000,
    });
    const state = await page.evaluate(() => document.body.dataset.state ?? '');
    const result = await page.evaluate(
      () => (globalThis as unknown as { result: PageRun['result'] }).result
    );
    return { state, result, errors, failed, wasm, workers };
  } finally {
    await context.close();
  }
}

/** What every bundle's page must show, isolated or not. */
function checkRun(name: string, r: PageRun, isolated: boolean): void {
  assert.is(r.state, 'done', `${name}: the app failed: ${r.result?.error}`);
  assert.equal(r.errors, [], `${name}: page errors`);
  assert.equal(r.failed, [], `${name}: failed requests`);
  assert.ok(['relaxed', 'simd128'].includes(r.result.build), `${name}: build ${r.result.build}`);
  assert.is(r.wasm.length, 1, `${name}: .wasm files fetched: ${r.wasm.join(', ')}`);
  assert.ok(r.wasm[0].includes(`simdgrad.${r.result.build}`), `${name}: fetched ${r.wasm[0]}`);
  const s = r.result.steps;
  assert.ok(s.length >= 10 && s.every(Number.isFinite), `${name}: steps ${s}`);
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(
    mean(s.slice(-3)) < mean(s.slice(0, 3)) - 0.02,
    `${name}: one-thread loss did not fall: ${s.map((v) => v.toFixed(4)).join(' ')}`
  );
  assert.is(r.result.isolated, isolated, `${name}: crossOriginIsolated`);
  assert.ok(
    Number.isFinite(r.result.epoch?.loss),
    `${name}: epoch ${JSON.stringify(r.result.epoch)}`
  );
  const out = r.result.trainerOut ?? '';
  if (isolated) {
    assert.is(r.workers, 2, `${name}: Web Workers started`);
    assert.not.match(out, 'one thread', `${name}: ${out}`);
  } else {
    assert.is(r.workers, 0, `${name}: Web Workers started without isolation`);
    assert.match(out, 'not cross-origin isolated', `${name}: ${out}`);
    assert.match(out, 'training on one thread instead of 2 workers', `${name}: ${out}`);
  }
}

/** Gzipped bytes of the bundle's JavaScript (app and worker) and of one .wasm build. */
async function measure(name: string, dir: string): Promise<void> {
  const files = await readdir(dir, { recursive: true });
  const kib = (n: number): string => (n / 1024).toFixed(1);
  let js = 0;
  let wasm = 0;
  const parts: string[] = [];
  for (const f of files.map(String).sort()) {
    const gz = (): Promise<number> =>
      readFile(join(dir, f)).then((b) => gzipSync(b, { level: 9 }).length);
    if (f.endsWith('.js')) {
      const n = await gz();
      js += n;
      if (n > 1024) parts.push(`${f} ${kib(n)}`);
    }
    if (/simdgrad\.relaxed[^/\\]*\.wasm$/.test(f)) wasm = await gz();
  }
  sizes.push(
    `${name}: JS ${kib(js)} KiB gzip (${parts.join(', ')}), ` +
      `wasm ${kib(wasm)} KiB gzip (one build)`
  );
}

function checkModules(name: string, b: Bundle): void {
  assert.ok(
    b.modules.filter((m) => /simdgrad[/\\]dist[/\\]src[/\\]/.test(m)).length > 50,
    `${name}: only ${b.modules.length} modules listed: the module scan is broken`
  );
  const bad = b.modules.filter((m) => NODE_ONLY.some((re) => re.test(m)));
  assert.equal(bad, [], `${name}: Node-only modules in the browser bundle`);
}

/** The bundler followed the intra-op helper's `new Worker(new URL(...))` (runtime/web-thread.js,
 * loaded on demand) and bundled its script: setNumThreads(n > 1) can start helpers in the app. */
function checkThreadWorker(name: string, b: Bundle): void {
  assert.ok(
    b.modules.some((m) =>
      /simdgrad[/\\]dist[/\\]src[/\\]runtime[/\\]thread-web-worker\.js$/.test(m)
    ),
    `${name}: the intra-op helper's script (runtime/thread-web-worker.js) is not bundled`
  );
}

/** No emitted script names a node: built-in (an import, require or dynamic import of one). */
async function checkNoNodeSpecifiers(name: string, dir: string): Promise<void> {
  for (const f of (await readdir(dir, { recursive: true })).map(String)) {
    if (!f.endsWith('.js')) continue;
    const hits = (await readFile(join(dir, f), 'utf8')).match(/["'`]node:[a-z_/]+["'`]/g) ?? [];
    assert.equal(hits, [], `${name}: ${f} names node: modules`);
  }
}

t(
  "the installed package names no source map it does not ship (Vite's dev server would complain)",
  async () => {
    await ready;
    const dir = join(APP, 'node_modules', 'simdgrad');
    const missing: string[] = [];
    for (const f of (await readdir(dir, { recursive: true })).map(String)) {
      if (!f.endsWith('.js')) continue;
      const map = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(
        await readFile(join(dir, f), 'utf8')
      )?.[1];
      if (map && !map.startsWith('data:')) {
        await readFile(join(dir, f, '..', map)).catch(() => missing.push(`${f} -> ${map}`));
      }
    }
    assert.equal(missing, []);
  }
);

t('Vite 8: production build of the example app', async () => {
  await ready;
  const vite = await import('vite');
  const modules: string[] = [];
  // Vite stubs a Node built-in as __vite-browser-external, as it does a module a package's
  // "browser" field turns off (which can be fine): the import is recorded when it is a node:
  // one or simdgrad's.
  const collect = (): import('vite').Plugin => ({
    name: 'collect-modules',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      const r = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (
        r?.id.includes('__vite-browser-external') &&
        (source.startsWith('node:') || /[/\\]simdgrad[/\\]/.test(importer ?? ''))
      ) {
        modules.push(`stubbed: '${source}' imported by ${importer}`);
      }
      return r;
    },
    moduleParsed(info) {
      if (!info.id.includes('__vite-browser-external')) modules.push(info.id);
    },
  });
  await vite.build({
    root: APP,
    logLevel: 'warn',
    plugins: [collect()],
    worker: { plugins: () => [collect()] },
  });
  bundles.vite = { dir: join(APP, 'dist'), modules };
  checkModules('vite', bundles.vite);
  checkThreadWorker('vite', bundles.vite);
  await checkNoNodeSpecifiers('vite', bundles.vite.dir);
  await measure('vite', bundles.vite.dir);
});

t('Vite: `vite preview` (the README config) trains on one thread and two Web Workers', async () => {
  assert.ok(bundles.vite, 'no Vite build');
  const vite = await import('vite');
  const server = await vite.preview({
    root: APP,
    logLevel: 'warn',
    preview: { port: 0, host: '127.0.0.1' },
  });
  try {
    const url = server.resolvedUrls!.local[0];
    const res = await fetch(url);
    assert.is(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.is(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
    checkRun('vite', await load(url), true);
  } finally {
    await server.close();
  }
});

t('Vite: without COOP/COEP the Trainer says why and trains on one thread', async () => {
  const { url, server } = await serve(bundles.vite.dir, false);
  try {
    checkRun('vite (not isolated)', await load(url), false);
  } finally {
    server.close();
  }
});

t('esbuild: a production build (esbuild.mjs) trains on one thread and two workers', async () => {
  await ready;
  const dir = join(APP, 'dist-esbuild');
  const { buildApp } = (await import(pathToFileURL(join(APP, 'esbuild.mjs')).href)) as {
    buildApp(outdir: string, extra: object): Promise<import('esbuild').BuildResult>;
  };
  const result = await buildApp(dir, { metafile: true, logLevel: 'silent' });
  assert.equal(
    result.warnings.map((w) => w.text),
    [],
    'esbuild warnings'
  );
  bundles.esbuild = { dir, modules: Object.keys(result.metafile!.inputs) };
  checkModules('esbuild', bundles.esbuild);
  await checkNoNodeSpecifiers('esbuild', dir);
  await measure('esbuild', dir);
  const { url, server } = await serve(dir, true);
  try {
    checkRun('esbuild', await load(url), true);
  } finally {
    server.close();
  }
});

t('esbuild: an inference-only app ships no trainer, optimizer, workers or ONNX', async () => {
  await ready;
  const esbuild = await import('esbuild');
  const entry = join(APP, 'src', 'infer-only.js');
  await writeFile(
    entry,
    "import { init, loadModel, predict } from 'simdgrad';\n" +
      'await init();\n' +
      "console.log(predict(await loadModel('/m.safetensors'), new Float32Array(784)));\n"
  );
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    write: false,
    metafile: true,
    absWorkingDir: APP,
    outdir: join(APP, 'dist-infer'),
    logLevel: 'silent',
  });
  const kept = Object.values(r.metafile.outputs)
    .flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, v]) => v.bytesInOutput > 0)
        .map(([k]) => k)
    )
    .filter((m) => m.includes('simdgrad/dist/src/'));
  assert.ok(
    kept.some((m) => m.endsWith('models/inference.js')),
    kept.join(', ')
  );
  // (parallel/worker-url.js is where init({ workerUrl }) keeps its option: a few lines)
  const shipped = kept.filter((m) =>
    /\/(train|optim)\/|\/parallel\/(?!worker-url)|\/io\/onnx|\/data\/loader/.test(m)
  );
  assert.equal(shipped, [], 'training modules in an inference-only bundle');
});

t('webpack 5: production build trains on one thread and on two Web Workers', async () => {
  await ready;
  const { default: webpack } = await import('webpack');
  const { default: config } = (await import(
    pathToFileURL(join(APP, 'webpack.config.js')).href
  )) as { default: import('webpack').Configuration };
  const stats = await new Promise<import('webpack').Stats>((resolve, reject) => {
    webpack({ ...config, stats: 'none' }, (err, s) => (err || !s ? reject(err) : resolve(s)));
  });
  const json = stats.toJson({
    all: false,
    modules: true,
    nestedModules: true,
    errors: true,
    warnings: true,
  });
  assert.equal(
    (json.errors ?? []).map((e) => e.message),
    [],
    'webpack errors'
  );
  assert.equal(
    (json.warnings ?? []).map((e) => e.message),
    [],
    'webpack warnings'
  );
  const modules: string[] = [];
  const walk = (ms: typeof json.modules): void => {
    for (const m of ms ?? []) {
      modules.push(m.nameForCondition ?? m.identifier ?? m.name ?? '');
      walk(m.modules);
    }
  };
  walk(json.modules);
  const dir = config.output!.path!;
  bundles.webpack = { dir, modules };
  checkModules('webpack', bundles.webpack);
  checkThreadWorker('webpack', bundles.webpack);
  await checkNoNodeSpecifiers('webpack', dir);
  await measure('webpack', dir);
  const { url, server } = await serve(dir, true);
  try {
    checkRun('webpack', await load(url), true);
  } finally {
    server.close();
  }
  console.log(`\n  bundle sizes of examples/web-app:\n    ${sizes.join('\n    ')}`);
});

t.run();
