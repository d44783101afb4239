// `simdgrad bench --suite infer --models a,b` rewrites bench/results/infer.json with its rows
// and keeps the other models' rows of the file it replaces, each with when, on which CPU and
// under what load it was measured, in the suite's order (bench/suites/infer.ts, mergeRows).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeRows } from '../../bench/suites/infer.js';

const t = suite('infer-merge');

const previous = {
  startedAt: '2026-11-25T17:00:20.225Z',
  machine: { cpuId: 'old', loadAvg: [2, 2, 2] },
  rows: [
    { model: 'resnet18', batch: 1, ours: 11 },
    { model: 'mobilenet_v2', batch: 1, ours: 1 },
    { model: 'lenet5', batch: 128, ours: 9, measuredAt: 'then', cpuId: 'x', loadAvg: [1] },
  ],
};

t("rows of models not run are kept with their run's date, CPU and load, in suite order", () => {
  const fresh = [{ model: 'mobilenet_v2', batch: 1, ours: 20, measuredAt: 'now', cpuId: 'new' }];
  const rows = mergeRows(fresh, previous, false);
  assert.equal(
    rows.map((r) => `${r.model} ${r.batch} ${r.ours}`),
    ['resnet18 1 11', 'mobilenet_v2 1 20', 'lenet5 128 9']
  );
  assert.equal(
    [rows[0].measuredAt, rows[0].cpuId, rows[0].loadAvg],
    [previous.startedAt, 'old', [2, 2, 2]]
  );
  assert.equal([rows[2].measuredAt, rows[2].cpuId, rows[2].loadAvg], ['then', 'x', [1]]);
});

t("no previous file, or one without rows: this run's rows alone", () => {
  const fresh = [{ model: 'lenet5', batch: 128, ours: 1 }];
  assert.equal(mergeRows(fresh, undefined, true), fresh);
  assert.equal(mergeRows(fresh, { rows: 'x' }, true), fresh);
});

t.run();
