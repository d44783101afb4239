// loadModel + predict in Node: weights from bytes, a path and a checkpoint-style file give the
// saved model's probabilities; the model name comes from the metadata; errors name the file.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  MNIST_MEAN,
  MNIST_STD,
  createModel,
  init,
  loadModel,
  manualSeed,
  noGrad,
  predict,
  serializeSafetensors,
  tensor,
  tidy,
  zooName,
} from '../../src/index.js';
import { expectClose, rand } from '../util.js';

const t = suite('inference');
await init();

/** A seeded zoo model and its weights as safetensors (names prefixed, given metadata). */
function saved(
  name: string,
  prefix = '',
  metadata: Record<string, string> = { model: name }
): { bytes: Uint8Array; model: ReturnType<typeof createModel> } {
  manualSeed(21);
  const model = createModel(name);
  const sd = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [prefix + k, v]));
  return { bytes: serializeSafetensors(sd, metadata), model };
}

t('predict: softmax of the logits in eval mode, normalize applied first; rows sum to 1', () => {
  const { model } = saved('lenet5');
  const x = rand(5 * 784, 3, 0, 1);
  const p = predict(model, x, { normalize: [MNIST_MEAN, MNIST_STD], batchSize: 2 });
  const z = Float32Array.from(x, (v) => (v - MNIST_MEAN) / MNIST_STD);
  const logits = noGrad(() =>
    tidy(() =>
      model
        .eval()
        .forward(tensor(z, [5, 1, 28, 28]))
        .toFloat32Array()
    )
  );
  const ref = new Float32Array(50);
  for (let i = 0; i < 5; i++) {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10), Number);
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    row.forEach((v, j) => {
      ref[i * 10 + j] = Math.exp(v - m) / s;
    });
  }
  expectClose(p, ref, 'predict lenet5 n=5 batchSize=2', 1e-5);
  for (let i = 0; i < 5; i++) {
    const s = p.subarray(i * 10, i * 10 + 10).reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(s - 1) < 1e-5, `row ${i} sums to ${s}`);
  }
});

t(
  'loadModel from bytes, ArrayBuffer, Blob, a path, a file: URL and a checkpoint-style file',
  async () => {
    const { bytes, model } = saved('lenet5');
    const x = rand(2 * 784, 4, 0, 1);
    const ref = predict(model, x);
    const dir = await mkdtemp(join(tmpdir(), 'simdgrad-infer-'));
    try {
      const path = join(dir, 'lenet5.safetensors');
      await writeFile(path, bytes);
      const ckpt = saved('lenet5', 'model.', { format: 'simdgrad-checkpoint', model: 'lenet5' });
      const sources: [string, Parameters<typeof loadModel>[0]][] = [
        ['bytes', bytes],
        ['ArrayBuffer', bytes.slice().buffer],
        ['Blob', new Blob([bytes.slice().buffer])],
        ['path', path],
        ['file URL', pathToFileURL(path)],
        ['checkpoint', ckpt.bytes],
      ];
      for (const [what, src] of sources) {
        const m = await loadModel(src);
        assert.is(zooName(m), 'lenet5', what);
        assert.is(m.training, false, `${what}: eval mode`);
        expectClose(predict(m, x), ref, `predict after loadModel(${what})`, 0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
);

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a rejection, the promise resolved');
}

t('loadModel errors: no model name, wrong model, missing file', async () => {
  const { bytes } = saved('lenet5', '', {});
  assert.match(
    await rejection(loadModel(bytes)),
    /names no model .*loadModel\(source, 'small-cnn'\)/
  );
  assert.match(
    await rejection(loadModel(bytes, 'mlp')),
    /weights does not fit 'mlp': loadStateDict: missing keys/
  );
  assert.match(
    await rejection(loadModel('/nonexistent/x.safetensors')),
    /loadModel: \/nonexistent\/x.safetensors: ENOENT/
  );
  assert.is(zooName(await loadModel(bytes, 'lenet5')), 'lenet5');
});

t('predict: images that are not whole samples are refused', () => {
  const { model } = saved('logistic');
  assert.throws(
    () => predict(model, new Float32Array(785)),
    /images.length \(785\) must be a positive multiple of prod\(sampleShape \[1, 28, 28\]\) = 784/
  );
});

t.run();
