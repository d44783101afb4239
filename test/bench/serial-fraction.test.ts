// bench/serial-fraction.ts: a step's serial part (main thread, messages, the slowest reduction,
// the optimizer) and its shards' work from ProfiledSteps, medians over steps; Amdahl's law and
// the Karp-Flatt fraction agree with each other at the measured worker count.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { amdahl, breakdown, karpFlatt } from '../../bench/serial-fraction.js';
import type { ProfiledStep } from '../../bench/models.js';

const t = suite('serial-fraction');

function step(k: number): ProfiledStep {
  return {
    prepare: 0.1,
    dispatch: [0.2, 0.3 + k],
    compute: [4, 6],
    meet: [2, 0],
    reduce: [0.1, 0.2],
    collect: 0.3,
    finish: 0.05,
    total: 7 + k,
    optimizer: 0.25,
  };
}

t('medians over steps; serial and work as documented', () => {
  const b = breakdown([step(0), step(10), step(1)]);
  assert.is(b.workers, 2);
  assert.is(b.steps, 3);
  assert.is(b.stepMs, 7 + 1 + 0.25);
  assert.is(b.dispatch, 1.3);
  assert.is(b.compute, 5);
  assert.is(b.computeMax, 6);
  assert.is(b.meet, 1);
  assert.is(b.reduce, 0.2);
  assert.ok(Math.abs(b.serial - (0.1 + 1.3 + 0.2 + 0.3 + 0.05 + 0.25)) < 1e-12, String(b.serial));
  assert.is(b.work, 10);
  assert.ok(Math.abs(b.s - b.serial / (b.serial + 10)) < 1e-12);
});

t('no steps: an error, not NaN', () => {
  assert.throws(() => breakdown([]), /no steps/);
});

t('Amdahl and Karp-Flatt: e from a speedup gives that speedup back', () => {
  assert.is(amdahl(0, 8), 8);
  assert.is(amdahl(1, 8), 1);
  assert.ok(Math.abs(amdahl(0.1, 4) - 1 / (0.1 + 0.9 / 4)) < 1e-12);
  for (const [sp, n] of [
    [1.51, 2],
    [1.75, 2],
    [3.2, 4],
  ]) {
    assert.ok(Math.abs(amdahl(karpFlatt(sp, n), n) - sp) < 1e-12, `${sp} at ${n}`);
  }
  assert.is(karpFlatt(2, 2), 0);
});

t.run();
