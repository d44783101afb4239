// fillUniform (the fast path parameter init takes) draws exactly what nextFloat() would, one value
// per element, and leaves the generator where nextFloat() would have. withGenerator: draws come
// from the given generator and the previous one is current again afterwards (also after a
// throw); a dropout mask drawn with batchRowOffset k is rows k.. of the whole batch's mask.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, init, ones } from '../../src/index.js';
import {
  Generator,
  currentGenerator,
  fillUniform,
  manualSeed,
  nextFloat,
  nextU32,
  withGenerator,
} from '../../src/tensor/random.js';

const t = suite('random');
await init();

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

t(
  'withGenerator: draws from the given generator, then the previous one again (after a throw too)',
  () => {
    manualSeed(5);
    const plain = [nextU32(), nextU32(), nextU32()];
    const seven = new Generator(7);
    const sevenDraws = [seven.nextU32(), seven.nextU32()];
    manualSeed(5);
    const first = nextU32();
    const inside = withGenerator(new Generator(7), () => [nextU32(), nextU32()]);
    assert.equal(inside, sevenDraws);
    assert.throws(
      () =>
        withGenerator(new Generator(8), () => {
          nextU32();
          throw new Error('step failed');
        }),
      /step failed/
    );
    assert.equal(
      [first, nextU32(), nextU32()],
      plain,
      'the default generator went on where it was'
    );
    assert.is(currentGenerator().batchRowOffset, 0);
  }
);

t(
  "dropout with batchRowOffset k draws rows k.. of the whole batch's mask (n=7 rows of 3x5)",
  () => {
    const whole = withGenerator(new Generator(11), () =>
      F.dropout(ones([7, 3, 5]), 0.5).toFloat32Array()
    );
    for (const [k, n] of [
      [0, 3],
      [3, 4],
      [6, 1],
    ]) {
      const part = withGenerator(new Generator(11, { batchRowOffset: k }), () =>
        F.dropout(ones([n, 3, 5]), 0.5).toFloat32Array()
      );
      assert.equal(
        Array.from(part),
        Array.from(whole.subarray(k * 15, (k + n) * 15)),
        `rows ${k}..${k + n - 1}`
      );
    }
    assert.ok(whole.some((v) => v === 0) && whole.some((v) => v === 2), 'a mask of zeros and 2s');
  }
);

t.run();
