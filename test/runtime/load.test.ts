// Build selection: explicit option, SIMDGRAD_BUILD, auto (relaxed where validated), clear errors
// for a bad name and for an engine without SIMD; both builds load and say which they are.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hasRelaxedSimd, hasSimd } from '../../src/runtime/features.js';
import { chooseBuild, createRuntime } from '../../src/runtime/load.js';
import { expectThrows } from '../util.js';

const t = suite('runtime');

t('explicit simd128 and relaxed builds load and report themselves', async () => {
  const a = await createRuntime({ build: 'simd128' });
  assert.is(a.build, 'simd128');
  assert.is(a.fn<() => number>('build_is_relaxed')(), 0);
  if (hasRelaxedSimd() || (await chooseBuild('auto')) === 'relaxed') {
    const b = await createRuntime({ build: 'relaxed' });
    assert.is(b.build, 'relaxed');
    assert.is(b.fn<() => number>('build_is_relaxed')(), 1);
  }
});

t('SIMDGRAD_BUILD picks the build when no option is given; a bad value is named', async () => {
  const old = process.env.SIMDGRAD_BUILD;
  try {
    process.env.SIMDGRAD_BUILD = 'simd128';
    assert.is(await chooseBuild(), 'simd128');
    process.env.SIMDGRAD_BUILD = 'avx512';
    let msg = '';
    await chooseBuild().catch((e: Error) => {
      msg = e.message;
    });
    assert.ok(msg.includes("'avx512'") && msg.includes('SIMDGRAD_BUILD'), msg);
  } finally {
    if (old === undefined) delete process.env.SIMDGRAD_BUILD;
    else process.env.SIMDGRAD_BUILD = old;
  }
});

t(
  'auto takes relaxed exactly when the engine validates it (Node 20: behind a V8 flag we set)',
  async () => {
    const b = await chooseBuild('auto');
    assert.is(b, hasRelaxedSimd() ? 'relaxed' : 'simd128');
    assert.ok(hasSimd());
  }
);

t('an engine without SIMD gets a clear error, not a crash', async () => {
  const validate = WebAssembly.validate;
  try {
    (WebAssembly as { validate: (b: BufferSource) => boolean }).validate = () => false;
    let msg = '';
    await chooseBuild('auto').catch((e: Error) => {
      msg = e.message;
    });
    assert.ok(msg.includes('no WebAssembly SIMD'), msg);
  } finally {
    (WebAssembly as { validate: typeof validate }).validate = validate;
  }
});

t('the heap refuses a double free and bad sizes, naming them', async () => {
  const rt = await createRuntime({ build: 'simd128' });
  const b = rt.heap.allocF32(10);
  rt.heap.free(b);
  expectThrows(() => rt.heap.free(b), ['not an allocated block'], 'double free');
  expectThrows(() => rt.heap.allocF32(-1), ['allocF32', 'length'], 'negative length');
  const big = rt.heap.allocF32(5_000_000);
  assert.ok(rt.heap.view(big).length === 5_000_000, 'memory grows on demand');
});

t.run();
