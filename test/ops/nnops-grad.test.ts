// Finite differences (gradcheck) for every new op's backward, and the argument errors: each
// message names the op, the argument and the shapes. PyTorch values: test/ops/nnops.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, type Tensor, gradcheck, init, manualSeed, randn, tensor } from '../../src/index.js';
import { expectThrows } from '../util.js';

const t = suite('nnops gradcheck and errors');
await init();

function leaf(shape: number[], seed: number, scale = 1, shift = 0): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  const d = x.data();
  for (let i = 0; i < d.length; i++) d[i] = d[i] * scale + shift;
  x.requiresGrad = true;
  return x;
}

/** Distinct values 0.1 apart (no ties near a max), shuffled. */
function distinct(shape: number[], seed: number): Tensor {
  const x = leaf(shape, seed);
  const n = x.size;
  const d = x.data();
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b]);
  const vals = new Float32Array(n);
  order.forEach((idx, rank) => {
    vals[idx] = (rank - n / 2) * 0.1 + 0.05;
  });
  return tensor(vals, shape, { requiresGrad: true });
}

t('convTranspose2d: x, weight, bias (groups, dilation, outputPadding, padded path)', () => {
  const opts = [
    { stride: 2, padding: 1, outputPadding: 1 },
    { groups: 2, dilation: 2, stride: 2 },
    { stride: 1, dilation: 2, outputPadding: 1 },
  ];
  for (const o of opts) {
    gradcheck(
      (x, w, b) => F.convTranspose2d(x, w, b, o),
      [leaf([2, 4, 3, 3], 1), leaf([4, 2, 3, 2], 2, 0.5), leaf([(o.groups ?? 1) * 2], 3)]
    );
  }
});

t('conv1d: x, weight, bias; unbatched', () => {
  gradcheck(
    (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 2, dilation: 2, groups: 2 }),
    [leaf([2, 4, 9], 4), leaf([6, 2, 3], 5, 0.5), leaf([6], 6)]
  );
  gradcheck((x, w) => F.conv1d(x, w, null, { padding: 1 }), [leaf([3, 7], 7), leaf([2, 3, 3], 8)]);
});

t('maxPool1d, avgPool1d, adaptive pools', () => {
  gradcheck(
    (x) => F.maxPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }),
    [distinct([2, 3, 9], 9)]
  );
  gradcheck(
    (x) => F.avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
    [leaf([2, 3, 9], 10)]
  );
  gradcheck((x) => F.adaptiveAvgPool2d(x, [3, 4]), [leaf([2, 2, 5, 7], 11)]);
  gradcheck((x) => F.adaptiveAvgPool2d(x, [5, null]), [leaf([1, 2, 3, 4], 12)]);
  gradcheck((x) => F.adaptiveMaxPool2d(x, [3, 2]), [distinct([2, 2, 5, 7], 13)]);
});

t('interpolate: nearest and bilinear, both alignCorners', () => {
  gradcheck((x) => F.interpolate(x, { size: [5, 7] }), [leaf([1, 2, 3, 4], 14)]);
  gradcheck((x) => F.interpolate(x, { scaleFactor: 2 }), [leaf([1, 2, 3, 5], 15)]);
  for (const alignCorners of [false, true]) {
    gradcheck(
      (x) => F.interpolate(x, { size: [5, 3], mode: 'bilinear', alignCorners }),
      [leaf([2, 1, 3, 4], 16)]
    );
    gradcheck(
      (x) => F.interpolate(x, { scaleFactor: 0.6, mode: 'bilinear', alignCorners }),
      [leaf([1, 2, 6, 7], 17)]
    );
  }
});

t('layerNorm, groupNorm, batchNorm on [N,C] and [N,C,L]', () => {
  gradcheck(
    (x, w, b) => F.layerNorm(x, [3, 4], w, b),
    [leaf([2, 3, 4], 18, 2, 1), leaf([3, 4], 19, 0.5, 1), leaf([3, 4], 20)],
    { rtol: 2e-2 }
  );
  gradcheck((x) => F.layerNorm(x, 5), [leaf([3, 5], 21, 2)], { rtol: 2e-2 });
  gradcheck(
    (x, w, b) => F.groupNorm(x, 2, w, b),
    [leaf([2, 4, 3, 2], 22, 2, 1), leaf([4], 23, 0.5, 1), leaf([4], 24)],
    { rtol: 2e-2 }
  );
  gradcheck((x) => F.groupNorm(x, 3), [leaf([2, 6, 5], 25, 2)], { rtol: 2e-2 });
  gradcheck(
    (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }),
    [leaf([5, 3], 26, 2), leaf([3], 27), leaf([3], 28)],
    { rtol: 2e-2 }
  );
  gradcheck(
    (x) => F.batchNorm(x, null, null, null, null, { training: true }),
    [leaf([2, 3, 4], 29, 2)],
    { rtol: 2e-2 }
  );
});

t('embedding: repeated indices accumulate; paddingIdx gets no gradient', () => {
  gradcheck((w) => F.embedding(new Int32Array([1, 3, 1, 0]), w), [leaf([4, 3], 30)]);
  const w = leaf([4, 2], 31);
  const idx = tensor([1, 1, 2, 1], [2, 2]);
  const y = F.embedding(idx, w, { paddingIdx: 2 });
  assert.equal(y.shape, [2, 2, 2]);
  y.sum().backward();
  assert.equal(Array.from(w.grad!.data()), [0, 0, 3, 3, 0, 0, 0, 0]);
});

t('losses: input and target gradients', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    gradcheck((x, y) => F.mseLoss(x, y, { reduction }), [leaf([3, 4], 32), leaf([4], 33)]);
    gradcheck(
      (x, y) => F.l1Loss(x, y, { reduction }),
      [
        distinct([3, 4], 34),
        tensor(new Float32Array(12).fill(0.01), [3, 4], { requiresGrad: true }),
      ]
    );
    gradcheck(
      (x, y) => F.smoothL1Loss(x, y, { reduction, beta: 0.5 }),
      [
        distinct([2, 5], 35),
        tensor(new Float32Array(10).fill(0.03), [2, 5], { requiresGrad: true }),
      ]
    );
    const p = tensor([0.2, 0.7, 0.4, 0.9, 0.55, 0.1], [2, 3], { requiresGrad: true });
    gradcheck(
      (x, y) => F.binaryCrossEntropy(x, y, { reduction, weight: tensor([1, 0.5, 2]) }),
      [p, tensor([0.3, 0.5, 0.2, 0.9, 0.1, 0.6], [2, 3], { requiresGrad: true })],
      { eps: 1e-3 }
    );
    gradcheck(
      (x, y) => F.binaryCrossEntropyWithLogits(x, y, { reduction, posWeight: tensor([2, 0.5, 1]) }),
      [leaf([2, 3], 36, 2), leaf([2, 3], 37, 0.2, 0.5)]
    );
    gradcheck(
      (x) => F.nllLoss(x, new Int32Array([0, 2, 1]), { reduction, weight: tensor([1, 2, 0.5]) }),
      [leaf([3, 3], 38)]
    );
    gradcheck(
      (x) =>
        F.crossEntropy(x, tensor([0, 2, 1, 1, 0, 2], [2, 3]), {
          reduction,
          labelSmoothing: 0.1,
          ignoreIndex: 1,
        }),
      [leaf([2, 3, 3], 39)]
    );
    gradcheck(
      (x, y) => F.crossEntropy(x, y, { reduction, weight: tensor([1, 2, 0.5]) }),
      [leaf([2, 3, 2], 40), leaf([2, 3, 2], 41, 0.2, 0.5)]
    );
  }
  gradcheck(
    (x) => F.crossEntropy(x, new Int32Array([0, 2, 1]), { labelSmoothing: 0.2 }),
    [leaf([3, 4], 42)]
  );
});

t('crossEntropy keeps the fused path for 2-D logits and agrees with the general path', () => {
  const x = leaf([4, 5], 43);
  const labels = new Int32Array([1, 0, 4, 2]);
  const a = F.crossEntropy(x, labels, { labelSmoothing: 0.1 }).item();
  const b = F.crossEntropy(x, labels, { labelSmoothing: 0.1, reduction: 'sum' }).item() / 4;
  assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`);
});

t('errors name the op, the argument and the shapes', () => {
  const x = leaf([1, 4, 3, 3], 44);
  expectThrows(
    () => F.convTranspose2d(x, leaf([3, 2, 3, 3], 45)),
    ['convTranspose2d', 'weight.shape[0] (3)', 'input channels (4)', '[1,4,3,3]'],
    'ct channels'
  );
  expectThrows(
    () => F.convTranspose2d(x, leaf([4, 2, 3, 3], 45), null, { stride: 2, outputPadding: 2 }),
    ['convTranspose2d', 'outputPadding', 'stride', 'dilation'],
    'ct outputPadding'
  );
  expectThrows(
    () => F.convTranspose2d(x, leaf([4, 2, 3, 3], 45), null, { groups: 3 }),
    ['convTranspose2d', 'groups (3)'],
    'ct groups'
  );
  expectThrows(
    () => F.convTranspose2d(x, leaf([4, 2, 3, 3], 45), null, { padding: 3 }),
    ['convTranspose2d', 'too small'],
    'ct size'
  );
  expectThrows(
    () => F.convTranspose2d(x, leaf([4, 2, 3, 3], 45), leaf([3], 1)),
    ['convTranspose2d', 'bias must be [2]', '[3]'],
    'ct bias'
  );
  expectThrows(
    () => F.conv1d(leaf([2, 3, 5], 46), leaf([4, 2, 3], 47)),
    ['conv1d', 'weight.shape[1] (2)', 'input channels (3)', '[2,3,5]', '[4,2,3]'],
    'conv1d channels'
  );
  expectThrows(
    () => F.conv1d(x, leaf([4, 2, 3], 47)),
    ['conv1d', 'input must be 3-D', '[1,4,3,3]'],
    'conv1d rank'
  );
  expectThrows(
    () => F.maxPool1d(leaf([2, 3], 1), { kernelSize: 5 }),
    ['maxPool1d', 'kernelSize 5', 'larger'],
    'pool1d'
  );
  expectThrows(
    () => F.adaptiveAvgPool2d(x, [0, 2]),
    ['adaptiveAvgPool2d', 'outputSize', '[1,4,3,3]'],
    'adaptive'
  );
  expectThrows(
    () => F.adaptiveMaxPool2d(leaf([4, 3, 3], 1), 2),
    ['adaptiveMaxPool2d', 'input must be 4-D', '[4,3,3]'],
    'adaptive rank'
  );
  expectThrows(
    () => F.interpolate(x, { size: 4, scaleFactor: 2 }),
    ['interpolate', 'only one of size or scaleFactor'],
    'both'
  );
  expectThrows(
    () => F.interpolate(x, {}),
    ['interpolate', 'either size or scaleFactor'],
    'neither'
  );
  expectThrows(
    () => F.interpolate(x, { size: 4, alignCorners: true }),
    ['interpolate', 'alignCorners', 'nearest'],
    'nearest ac'
  );
  expectThrows(
    () => F.interpolate(leaf([2, 3, 4], 1), { size: 4 }),
    ['interpolate', '4-D', '[2,3,4]'],
    'rank'
  );
  expectThrows(
    () => F.layerNorm(leaf([2, 3, 4], 1), [3]),
    ['layerNorm', 'normalizedShape [3]', '[2,3,4]'],
    'ln shape'
  );
  expectThrows(
    () => F.layerNorm(leaf([2, 4], 1), [4], leaf([3], 2)),
    ['layerNorm', 'weight', '[4]', '[3]'],
    'ln weight'
  );
  expectThrows(
    () => F.groupNorm(leaf([2, 6, 4], 1), 4),
    ['groupNorm', 'divisible by numGroups', '[2,6,4]', 'numGroups=4'],
    'gn'
  );
  expectThrows(
    () => F.embedding(new Int32Array([0, 5]), leaf([5, 2], 1)),
    ['embedding', 'index 5', 'position 1', '[5,2]'],
    'embedding range'
  );
  expectThrows(
    () => F.embedding([-1], leaf([5, 2], 1)),
    ['embedding', 'index -1'],
    'embedding negative'
  );
  expectThrows(
    () => F.mseLoss(leaf([3, 4], 1), leaf([3], 2)),
    ['mseLoss', 'cannot broadcast', '[3,4]', '[3]'],
    'mse broadcast'
  );
  expectThrows(
    () => F.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([0, 1])),
    ['binaryCrossEntropy', 'between 0 and 1', '1.5'],
    'bce range'
  );
  expectThrows(
    () => F.binaryCrossEntropyWithLogits(leaf([2, 3], 1), leaf([3], 1)),
    ['binaryCrossEntropyWithLogits', 'target size [3]', 'input size [2,3]'],
    'bcel shape'
  );
  expectThrows(
    () => F.nllLoss(leaf([3, 4], 1), new Int32Array([0, 4, 1])),
    ['nllLoss', 'labels[1] = 4', 'out of range', '[3,4]'],
    'nll range'
  );
  expectThrows(
    () => F.crossEntropy(leaf([3, 4], 1), new Int32Array([0, 1])),
    ['crossEntropy', '2 labels', 'input [3,4]', 'batch 3'],
    'ce count'
  );
  expectThrows(
    () => F.crossEntropy(leaf([2, 3, 4], 1), tensor([0, 1], [2])),
    ['crossEntropy', 'target [2]', 'input [2,3,4]', 'shape [2,4]'],
    'ce spatial'
  );
  expectThrows(
    () => F.crossEntropy(leaf([3, 4], 1), tensor(new Float32Array(12), [4, 3])),
    ['crossEntropy', 'probability target [4,3]', '[3,4]'],
    'ce prob'
  );
  expectThrows(
    () => F.mseLoss(leaf([2], 1), leaf([2], 1), { reduction: 'avg' as 'mean' }),
    ['mseLoss', 'reduction', 'avg'],
    'reduction'
  );
});

t.run();
