// init({ wasm }): the kernels as a file: URL, a path, the bytes (ArrayBuffer, typed array), a
// Response or fetch's promise of one, or a compiled Module (private memory: kept, one thread);
// the build is read from the module, `build` must match it; a page of HTML where the .wasm was
// expected (a server's fallback for a file the bundler did not emit), a foreign module and a
// failed fetch are named. The packaged files sit at the static URLs bundlers follow.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { init, runtime, tensor } from '../../src/index.js';
import { getRuntime, setRuntime } from '../../src/tensor/tensor.js';
import { createRuntime, isSharedMemory, type InitOptions } from '../../src/runtime/load.js';

const t = suite('wasm-source');
const url = new URL('../../wasm/simdgrad.simd128.wasm', import.meta.url);
const bytes = readFileSync(url);

async function works(opts: InitOptions, build: string, shared = true): Promise<void> {
  const rt = await createRuntime(opts);
  assert.is(rt.build, build);
  assert.is(isSharedMemory(rt.heap.memory), shared, 'memory shared');
  const b = rt.heap.allocF32(4);
  rt.heap.free(b);
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

t('a file: URL, a path, an ArrayBuffer, a typed array, a Response and its promise', async () => {
  await works({ wasm: url }, 'simd128');
  await works({ wasm: fileURLToPath(url) }, 'simd128');
  const end = bytes.byteOffset + bytes.byteLength;
  await works({ wasm: bytes.buffer.slice(bytes.byteOffset, end) }, 'simd128');
  await works({ wasm: new Uint8Array(bytes) }, 'simd128');
  await works({ wasm: new Response(new Uint8Array(bytes)) }, 'simd128');
  await works({ wasm: Promise.resolve(new Response(new Uint8Array(bytes))) }, 'simd128');
});

t("the build is the module's own (relaxed where validated); `build` must match", async () => {
  const relaxed = new URL('../../wasm/simdgrad.relaxed.wasm', import.meta.url);
  const probe = await createRuntime({ build: 'auto' });
  if (probe.build === 'relaxed') await works({ wasm: relaxed }, 'relaxed');
  const msg = await message(createRuntime({ wasm: url, build: 'relaxed' }));
  assert.ok(
    (msg.includes("build 'relaxed'") && msg.includes('simd128 build')) ||
      msg.includes('relaxed was requested'),
    msg
  );
});

t('a compiled Module (private memory) loads over a private memory: one thread', async () => {
  const module = await WebAssembly.compile(bytes);
  await works({ wasm: module }, 'simd128', false);
});

t('an HTML page instead of the .wasm is named as one, with what to do', async () => {
  const html = new TextEncoder().encode('<!doctype html><html><body>app</body></html>');
  const msg = await message(createRuntime({ wasm: new Response(html) }));
  assert.ok(msg.includes('is not a WebAssembly file'), msg);
  assert.ok(msg.includes("'<!doctype html><'"), msg);
  assert.ok(msg.includes('fallback') && msg.includes('wasmBaseUrl'), msg);
});

t('a foreign module, a failed fetch and a wrong type are named', async () => {
  // (module (import "env" "memory" (memory 1 65536))): valid, but not the kernels
  const foreign = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 2, 18, 1, 3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 1,
    1, 0x80, 0x80, 0x04,
  ]);
  let msg = await message(createRuntime({ wasm: foreign }));
  assert.ok(msg.includes('not a simdgrad kernel build'), msg);
  const server = createServer((_, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    msg = await message(createRuntime({ wasm: `http://127.0.0.1:${port}/simdgrad.wasm` }));
    assert.ok(msg.includes('HTTP 404'), msg);
  } finally {
    server.close();
  }
  msg = await message(createRuntime({ wasm: 42 as unknown as URL }));
  assert.ok(msg.includes('must be a URL, a path, a Response'), msg);
});

t('init({ wasm }) sets the runtime; a second init() without options keeps it', async () => {
  await init();
  const before = getRuntime(); // other suites' tensors live in it: put back after
  try {
    const { build } = await init({ wasm: new Uint8Array(bytes) });
    assert.is(build, 'simd128');
    const rt = runtime();
    assert.is((await init()).build, 'simd128');
    assert.is(runtime(), rt);
    assert.equal(
      [
        ...tensor([1, 2, 3])
          .add(tensor([1, 1, 1]))
          .data(),
      ],
      [2, 3, 4]
    );
  } finally {
    setRuntime(before);
  }
});

t('the packaged builds sit at the literal URLs load.ts names (what bundlers follow)', () => {
  const src = readFileSync(new URL('../../src/runtime/load.js', import.meta.url), 'utf8');
  for (const build of ['relaxed', 'simd128']) {
    const literal = `new URL('../../wasm/simdgrad.${build}.wasm', import.meta.url)`;
    assert.ok(src.includes(literal), `dist/src/runtime/load.js lacks ${literal}`);
    readFileSync(
      new URL(
        `../../wasm/simdgrad.${build}.wasm`,
        new URL('../../src/runtime/load.js', import.meta.url)
      )
    );
  }
  const pool = readFileSync(new URL('../../src/parallel/web-pool.js', import.meta.url), 'utf8');
  const worker = "new Worker(new URL('./web-worker.js', import.meta.url), { type: 'module' })";
  assert.ok(pool.includes(worker), 'web-pool.js lacks the literal Worker form');
});

t.run();
