// fillUniform (the fast path parameter init takes) draws exactly what nextFloat() would, one value
// per element, and leaves the generator where nextFloat() would have.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fillUniform, manualSeed, nextFloat, nextU32 } from '../../src/tensor/random.js';

const t = suite('random');

t('fillUniform equals lo + (hi - lo) * nextFloat() per element, state included', () => {
  for (const n of [0, 1, 7, 1001]) {
    manualSeed(n + 3);
    const a = new Float32Array(n);
    fillUniform(a, -0.3, 0.7);
    const nextA = nextU32();
    manualSeed(n + 3);
    const b = Float32Array.from({ length: n }, () => -0.3 + (0.7 - -0.3) * nextFloat());
    assert.equal(Array.from(a), Array.from(b));
    assert.is(nextA, nextU32());
  }
});

t.run();
