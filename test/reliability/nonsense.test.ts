// Nonsense refused with a message instead of NaN or a silent default: an empty data set for
// evaluate and Trainer, clipGradNorm 0, classes 0 for IDX labels, and NaN weights named by the
// CLI's warning.
import { suite } from 'uvu';
import { datasetFromIdx, type ImageDataset } from '../../src/data/dataset.js';
import { parseIdxLabels } from '../../src/data/idx.js';
import { init, manualSeed, optim } from '../../src/index.js';
import { nonFiniteWarning } from '../../src/cli/commands.js';
import { createModel } from '../../src/models/zoo.js';
import { evaluate, Trainer } from '../../src/train/trainer.js';
import { throwsWith } from '../data/expect.js';

const t = suite('nonsense');
await init();

function images(n: number): ImageDataset {
  return {
    images: new Float32Array(n * 784),
    labels: new Int32Array(n),
    n,
    shape: [n, 1, 28, 28],
    sampleShape: [1, 28, 28],
    classes: 10,
  };
}

/** IDX bytes: magic, dims (big-endian u32), then u8 data. */
function idx(magic: number, dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

t('an empty data set: evaluate and Trainer refuse it instead of giving NaN', () => {
  manualSeed(1);
  const model = createModel('logistic');
  throwsWith(() => evaluate(model, images(0)), ['evaluate: the data set is empty'], 'evaluate');
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  throwsWith(
    () => new Trainer({ model, optimizer, train: images(0), epochs: 1, batchSize: 4 }),
    ['Trainer: the training set is empty'],
    'empty train'
  );
  throwsWith(
    () =>
      new Trainer({ model, optimizer, train: images(4), test: images(0), epochs: 1, batchSize: 4 }),
    ['Trainer: the test set is empty'],
    'empty test'
  );
});

t('clipGradNorm 0 is refused (it is not "no clipping"); negative and NaN too', () => {
  const model = createModel('logistic');
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  for (const c of [0, -1, NaN]) {
    throwsWith(
      () =>
        new Trainer({
          model,
          optimizer,
          train: images(4),
          epochs: 1,
          batchSize: 4,
          clipGradNorm: c,
        }),
      ['clipGradNorm must be > 0', `got ${c}`],
      `clipGradNorm ${c}`
    );
  }
});

t('classes 0 (or 257, or 2.5) for IDX labels is an argument error, not "expected 0..-1"', () => {
  const img = idx(0x803, [1, 2, 2], [0, 1, 2, 3]);
  const lab = idx(0x801, [1], [0]);
  for (const classes of [0, 257, 2.5]) {
    throwsWith(
      () => datasetFromIdx(img, lab, { classes }),
      ['datasetFromIdx: classes must be an integer in [1, 256]', `got ${classes}`],
      `classes ${classes}`
    );
  }
  throwsWith(
    () => parseIdxLabels(lab, 'l', 0),
    ['parseIdxLabels: classes must be'],
    'parseIdxLabels'
  );
});

t('weights holding NaN or Inf: the CLI warning counts them and names the tensors', () => {
  const w = {
    'a.weight': { shape: [3], data: Float32Array.of(1, NaN, Infinity) },
    'a.bias': { shape: [1], data: Float32Array.of(0) },
  };
  const msg = nonFiniteWarning('w.safetensors', w);
  for (const part of ['w.safetensors holds 2 NaN or infinite values', 'a.weight (2 of 3)']) {
    if (!msg.includes(part)) throw new Error(`'${part}' missing from: ${msg}`);
  }
  if (nonFiniteWarning('ok', { b: { shape: [1], data: Float32Array.of(1) } }) !== '') {
    throw new Error('a warning for finite weights');
  }
});

t.run();
