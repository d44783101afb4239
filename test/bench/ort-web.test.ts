// The ONNX Runtime Web peer (bench/peers/ort-web.ts): it loads single-threaded, runs our ONNX
// export of a tiny model to our output within 1e-3, refuses to time a model whose output is not
// ours, and in a tiny `simdgrad bench` run times the infer row (with a ratio) while train and
// kernel rows are 'missing'; without the package it is 'not installed'.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runBench } from '../../bench/report.js';
import {
  checkAgreement,
  loadOrtWeb,
  ortModel,
  ortStepper,
  ORT_AGREEMENT,
  relativeError,
} from '../../bench/peers/ort-web.js';
import { init, manualSeed, nn, randn } from '../../src/index.js';

const t = suite('ort-web peer');
await init();

function tiny(): nn.Module {
  manualSeed(3);
  return new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1 }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(4 * 3 * 3, 5)
  );
}

const shape = [2, 2, 6, 6];

t('loads with one thread', async () => {
  const info = await loadOrtWeb();
  assert.is(info.threads, 1);
  assert.match(info.version, /^1\.\d+/);
});

t('a tiny conv net agrees with ours; a step runs', async () => {
  const m = tiny();
  const x = randn(shape).toFloat32Array();
  const s = await ortStepper(m, shape, [x]);
  assert.ok(s.agreement <= ORT_AGREEMENT, `agreement ${s.agreement}`);
  await s.step();
  await s.dispose();
});

t('a model whose output is not ours is refused before timing', async () => {
  const m = tiny();
  const x = randn(shape).toFloat32Array();
  const session = await ortModel(m, shape);
  const bias = (m as nn.Sequential).parameters().at(-1)!;
  bias.data().fill(1);
  try {
    await checkAgreement(m, session, x, shape);
    assert.unreachable('no error');
  } catch (e) {
    assert.match((e as Error).message, 'ort-web output differs from ours');
  } finally {
    await session.release();
  }
});

t('relativeError: scale of the largest output, NaN and length are failures', () => {
  assert.ok(Math.abs(relativeError([1, 2.002], [1, 2]) - 1e-3) < 1e-9);
  assert.is(relativeError([NaN, 1], [1, 1]), Infinity);
  assert.is(relativeError([1], [1, 1]), Infinity);
});

t('simdgrad bench --peers ort-web: infer rows timed with ratios, the rest missing', async () => {
  const r = await runBench({ tiny: true, workers: [1], models: ['lenet5'], peers: ['ort-web'] });
  assert.equal(
    r.peers.map((p) => [p.name, p.status]),
    [['ort-web', 'ok']]
  );
  for (const row of r.kernels) assert.is(row.peers[0].status, 'missing');
  const train = r.models.find((m) => m.mode === 'train')!;
  const infer = r.models.find((m) => m.mode === 'infer')!;
  assert.is(train.peers[0].status, 'missing');
  assert.match(train.peers[0].note ?? '', 'cannot train');
  assert.is(infer.peers[0].status, 'ok', infer.peers[0].note);
  assert.ok((infer.peers[0].value ?? 0) > 0 && (infer.peers[0].ratio ?? 0) > 0);
  assert.match(infer.peers[0].note ?? '', 'of ours');
});

t('not installed: reported so, not thrown', async () => {
  const r = await runBench({
    tiny: true,
    workers: [1],
    models: ['lenet5'],
    peers: ['ort-web'],
    importModule: async (s) => {
      throw Object.assign(new Error(`Cannot find package '${s}'`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    },
  });
  assert.equal(
    r.peers.map((p) => [p.name, p.status]),
    [['ort-web', 'not installed']]
  );
  for (const row of r.models) assert.is(row.peers[0].status, 'not installed');
});

t.run();
