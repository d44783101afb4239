// Learning-rate schedules (src/optim/schedule.ts) against their closed forms at chosen steps.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lrAt } from '../../src/optim/schedule.js';

const t = suite('schedule');
const close = (a: number, b: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} != ${b}`);

t('exp: gamma^epoch', () => {
  const s = { name: 'exp' as const, lr: 0.1, gamma: 0.5 };
  close(lrAt(s, 0, 100, 10), 0.1, 'step 0');
  close(lrAt(s, 9, 100, 10), 0.1, 'step 9');
  close(lrAt(s, 10, 100, 10), 0.05, 'step 10');
  close(lrAt(s, 99, 100, 10), 0.1 * 0.5 ** 9, 'last step');
});

t('cosine: lr at start, lr/2 halfway, 0 at the end', () => {
  const s = { name: 'cosine' as const, lr: 0.2 };
  close(lrAt(s, 0, 101, 10), 0.2, 'start');
  close(lrAt(s, 50, 101, 10), 0.1, 'middle');
  close(lrAt(s, 100, 101, 10), 0, 'end');
});

t('onecycle: peak/25 -> peak at 20% -> peak/1e4', () => {
  const s = { name: 'onecycle' as const, lr: 1 };
  close(lrAt(s, 0, 101, 10), 1 / 25, 'start');
  close(lrAt(s, 20, 101, 10), 1, 'peak');
  close(lrAt(s, 10, 101, 10), 1 / 25 + (1 - 1 / 25) * 0.5, 'warm-up middle');
  close(lrAt(s, 100, 101, 10), 1e-4, 'end');
  assert.ok(lrAt(s, 60, 101, 10) < lrAt(s, 40, 101, 10), 'decreasing after the peak');
});

t('unknown schedule is an error naming the choices', () => {
  assert.throws(() => lrAt({ name: 'linear' as never, lr: 1 }, 0, 10, 1), /exp, cosine, onecycle/);
});

t.run();
