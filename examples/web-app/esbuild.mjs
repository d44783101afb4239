// `node esbuild.mjs [outdir]` (default dist-esbuild): the app and simdgrad's Web Worker entry
// (`simdgrad/web-worker`) as two ES module bundles, the two .wasm builds copied beside them, and
// index.html pointing at the app's bundle. esbuild does not follow
// `new URL(..., import.meta.url)`, so the app's entry for it,
// examples/web-app/src/main-esbuild.js, tells init() where these files are.
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Builds the app into outdir; `extra` goes to esbuild as it is (the tests ask for a metafile). */
export async function buildApp(outdir = join(here, 'dist-esbuild'), extra = {}) {
  const result = await esbuild.build({
    entryPoints: { main: join(here, 'src/main-esbuild.js'), 'web-worker': 'simdgrad/web-worker' },
    absWorkingDir: here,
    bundle: true,
    format: 'esm',
    minify: true,
    outdir,
    logLevel: 'warning',
    ...extra,
  });
  const require = createRequire(join(here, 'package.json'));
  for (const build of ['relaxed', 'simd128']) {
    const wasm = require.resolve(`simdgrad/wasm/simdgrad.${build}.wasm`);
    await copyFile(wasm, join(outdir, `simdgrad.${build}.wasm`));
  }
  const html = await readFile(join(here, 'index.html'), 'utf8');
  await mkdir(outdir, { recursive: true });
  await writeFile(join(outdir, 'index.html'), html.replace('/src/main.js', './main.js'));
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildApp(process.argv[2]);
}
