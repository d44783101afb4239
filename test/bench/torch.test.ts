// The PyTorch peer (bench/peers/torch.ts): with python3 + torch (Debian's python3-torch
// here; CI has neither) a tiny LeNet-5 train and infer row time positive samples, a model it has
// no definition of is 'missing', the 128-bit run reports oneDNN capped at SSE4.1; without an
// interpreter it is 'not installed', never an error.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { syntheticBatches } from '../../bench/models.js';
import { runTorch } from '../../bench/peers/torch.js';

const t = suite('torch-peer');
const batches = syntheticBatches(8, 2);
const tiny = { timeMs: 0, iterations: 2, warmupMs: 0, warmupIterations: 1, maxMs: 5000 };

t('no interpreter: not installed, with the reason', async () => {
  const r = await runTorch([{ model: 'lenet5', mode: 'train', batch: 8 }], batches, tiny, 'full', {
    python: '/nonexistent/python3',
  });
  assert.is(r.status, 'not installed');
  assert.ok(r.detail?.includes('/nonexistent/python3'), r.detail);
});

t('lenet5 train and infer rows, an unknown model missing, 128-bit ISA reported', async () => {
  const r = await runTorch(
    [
      { model: 'lenet5', mode: 'train', batch: 8 },
      { model: 'lenet5', mode: 'infer', batch: 4 },
      { model: 'vgg16', mode: 'train', batch: 8 },
    ],
    batches,
    tiny,
    'sse41'
  );
  if (r.status === 'not installed') return; // no python3 with torch on this machine (CI)
  assert.is(r.status, 'ok', r.detail);
  assert.equal(
    r.rows.map((x) => x.status),
    ['ok', 'ok', 'missing']
  );
  for (const row of r.rows.slice(0, 2)) {
    assert.ok((row.samplesMs?.length ?? 0) >= 2, `${row.mode}: ${row.samplesMs?.length} samples`);
    assert.ok(row.samplesMs!.every((v) => v > 0 && Number.isFinite(v)));
  }
  assert.match(r.isa ?? '', /SSE4\.1/);
  assert.ok(r.version && r.blas, `${r.version} ${r.blas}`);
});

t.run();
