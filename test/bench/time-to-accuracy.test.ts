// bench/time-to-accuracy.ts: ours stops at the first epoch at or above the target (a tiny run on
// one thread), a PyTorch side that cannot start is an error naming the interpreter, and the
// Python twin's learning-rate schedule is src/optim/schedule.ts's (where /usr/bin/python3 has
// torch; CI has none).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { oursSide, torchSide, type Options } from '../../bench/time-to-accuracy.js';
import { lrAt } from '../../src/optim/schedule.js';

const t = suite('time-to-accuracy');
const tiny: Options = {
  target: 0,
  epochs: 2,
  workers: 1,
  threads: 1,
  seed: 1,
  limit: 128,
  testLimit: 50,
  python: '/usr/bin/python3',
};

t('ours: stops after the first epoch that reaches the target', async () => {
  const s = await oursSide(tiny);
  assert.is(s.status, 'ok');
  assert.is(s.history.length, 1);
  assert.is(s.reached?.epoch, 1);
  assert.ok((s.reached?.seconds ?? 0) > 0);
});

t('torch: a missing interpreter is an error naming it', async () => {
  const s = await torchSide({ ...tiny, python: '/nonexistent/python3' });
  assert.is(s.status, 'error');
  assert.match(s.note ?? '', '/nonexistent/python3');
});

t("the Python twin's schedule is lrAt, step for step", () => {
  const dir = fileURLToPath(new URL('../../../bench/', import.meta.url));
  const cases = [
    ['onecycle', 2e-3, 1, 40, 10],
    ['exp', 2e-3, 0.8, 30, 7],
    ['cosine', 1e-2, 1, 9, 3],
    ['constant', 1e-3, 1, 4, 2],
  ] as const;
  const code =
    'import sys, json; sys.path.insert(0, sys.argv[1]); from time_to_accuracy import lr_at; ' +
    'print(json.dumps([[lr_at(n, lr, g, s, tot, pe) for s in range(tot)] for n, lr, g, tot, pe in ' +
    'json.loads(sys.argv[2])]))';
  const r = spawnSync('/usr/bin/python3', ['-c', code, dir, JSON.stringify(cases)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error || /No module named '(torch|numpy)'/.test(r.stderr)) return; // no torch here (CI)
  assert.is(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as number[][];
  cases.forEach(([name, lr, gamma, total, perEpoch], i) => {
    for (let s = 0; s < total; s++) {
      const want = lrAt({ name, lr, gamma }, s, total, perEpoch);
      assert.ok(
        Math.abs(got[i][s] - want) <= 1e-12 * lr,
        `${name} step ${s}: ${got[i][s]} vs ${want}`
      );
    }
  });
});

t.run();
