// The layers and loss modules of the other CNN families: parameter shapes, state-dict keys and
// PyTorch's initialisation ranges, forward through the functional op, BatchNorm1d's running
// statistics and eval mode, loss modules equal to their functional form.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, type Tensor, init, manualSeed, nn, randn, tensor } from '../../src/index.js';
import { expectClose, expectThrows } from '../util.js';

const t = suite('nn layers (other families) and losses');
await init();

function input(shape: number[], seed: number): Tensor {
  manualSeed(seed);
  return randn(shape);
}

function maxAbs(x: Tensor): number {
  return x.toFloat32Array().reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

t(
  'ConvTranspose2d: weight [in, out/groups, kh, kw], bound 1/sqrt(out/groups*kh*kw), DCGAN shape',
  () => {
    const m = new nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1, groups: 2 });
    assert.equal(Object.keys(m.stateDict()), ['weight', 'bias']);
    assert.equal(m.weight.shape, [8, 2, 4, 4]);
    assert.equal(m.bias!.shape, [4]);
    assert.ok(maxAbs(m.weight) <= 1 / Math.sqrt(2 * 16));
    const y = m.forward(input([2, 8, 5, 5], 1));
    assert.equal(y.shape, [2, 4, 10, 10]);
    expectClose(
      y.toFloat32Array(),
      F.convTranspose2d(input([2, 8, 5, 5], 1), m.weight, m.bias, m.opts).toFloat32Array(),
      'layer = F',
      0
    );
    expectThrows(
      () => new nn.ConvTranspose2d(6, 4, 3, { groups: 4 }),
      ['nn.ConvTranspose2d', 'groups (4)'],
      'groups'
    );
  }
);

t('Conv1d, MaxPool1d, AvgPool1d', () => {
  const m = new nn.Conv1d(3, 5, 3, { padding: 1, bias: false });
  assert.equal(Object.keys(m.stateDict()), ['weight']);
  assert.equal(m.weight.shape, [5, 3, 3]);
  assert.ok(maxAbs(m.weight) <= 1 / 3);
  const x = input([2, 3, 8], 2);
  assert.equal(m.forward(x).shape, [2, 5, 8]);
  assert.equal(new nn.MaxPool1d(2).forward(x).shape, [2, 3, 4]);
  expectClose(
    F.maxPool1d(x, 2).toFloat32Array(),
    F.maxPool1d(x, { kernelSize: 2 }).toFloat32Array(),
    'number = kernelSize',
    0
  );
  assert.equal(new nn.AvgPool1d(3, { stride: 2, padding: 1 }).forward(x).shape, [2, 3, 4]);
});

t('AdaptiveAvgPool2d / AdaptiveMaxPool2d any size, null keeps a dim; Upsample', () => {
  const x = input([1, 2, 5, 7], 3);
  assert.equal(new nn.AdaptiveAvgPool2d([3, null]).forward(x).shape, [1, 2, 3, 7]);
  assert.equal(new nn.AdaptiveMaxPool2d(4).forward(x).shape, [1, 2, 4, 4]);
  assert.equal(
    new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(x).shape,
    [1, 2, 10, 14]
  );
  assert.equal(new nn.Upsample({ size: [3, 4] }).forward(x).shape, [1, 2, 3, 4]);
  expectThrows(
    () => new nn.Upsample({}),
    ['nn.Upsample', 'either size or scaleFactor'],
    'upsample'
  );
});

t('BatchNorm1d: [N,C] and [N,C,L], running statistics, eval; rejects 4-D', () => {
  const bn = new nn.BatchNorm1d(3, { momentum: 0.5 });
  assert.equal(Object.keys(bn.stateDict()), [
    'weight',
    'bias',
    'running_mean',
    'running_var',
    'num_batches_tracked',
  ]);
  const x = tensor([1, 2, 3, 3, 6, 9], [2, 3]);
  const y = bn.forward(x).toFloat32Array();
  expectClose(
    y,
    [-1, -1, -1, 1, 1, 1].map((v, i) => v * Math.sqrt(1 / (1 + 1e-5 / [1, 4, 9][i % 3]))),
    'normalised',
    1e-6
  );
  expectClose(bn.runningMean!.toFloat32Array(), [1, 2, 3], 'running mean (momentum 0.5)', 1e-6);
  // unbiased variance of [1,3], [2,6], [3,9]: 2, 8, 18
  expectClose(bn.runningVar!.toFloat32Array(), [1.5, 4.5, 9.5], 'running var', 1e-6);
  bn.eval();
  const e = bn.forward(tensor([1, 2, 3], [1, 3])).toFloat32Array();
  expectClose(e, [(1 - 1) / Math.sqrt(1.5 + 1e-5), 0, 0], 'eval', 1e-5);
  assert.equal(bn.forward(input([2, 3, 4], 4)).shape, [2, 3, 4]);
  expectThrows(
    () => bn.forward(input([2, 3, 4, 4], 5)),
    ['nn.BatchNorm1d', '2-D', '[2,3,4,4]'],
    '4-D'
  );
});

t("LayerNorm, GroupNorm: parameters of PyTorch's shapes and defaults", () => {
  const ln = new nn.LayerNorm([3, 4]);
  assert.equal(Object.keys(ln.stateDict()), ['weight', 'bias']);
  assert.equal(ln.weight!.shape, [3, 4]);
  const y = ln.forward(input([2, 3, 4], 6));
  const d = y.toFloat32Array();
  const mean = d.slice(0, 12).reduce((a, b) => a + b, 0) / 12;
  assert.ok(Math.abs(mean) < 1e-5);
  assert.equal(new nn.LayerNorm(4, { elementwiseAffine: false }).numParameters(), 0);
  const gn = new nn.GroupNorm(2, 6);
  assert.equal(gn.weight!.shape, [6]);
  assert.equal(gn.forward(input([2, 6, 3], 7)).shape, [2, 6, 3]);
  expectThrows(
    () => new nn.GroupNorm(4, 6),
    ['nn.GroupNorm', 'numChannels (6)', 'numGroups (4)'],
    'groups'
  );
});

t('Embedding: N(0,1) init, any index shape, paddingIdx row zero', () => {
  manualSeed(8);
  const e = new nn.Embedding(200, 16);
  const w = e.weight.toFloat32Array();
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.05, `mean ${mean} std ${std}`);
  assert.equal(e.forward(tensor([1, 2, 3, 4, 5, 6], [2, 3])).shape, [2, 3, 16]);
  assert.equal(e.forward(new Int32Array([7])).shape, [1, 16]);
  const p = new nn.Embedding(5, 3, { paddingIdx: -1 });
  assert.equal(Array.from(p.weight.data().slice(12)), [0, 0, 0]);
});

t('loss modules equal their functional form', () => {
  const x = input([3, 4], 9);
  const y = input([3, 4], 10);
  const prob = tensor(
    x.toFloat32Array().map((v) => 1 / (1 + Math.exp(-v))),
    [3, 4]
  );
  const target = tensor(
    y.toFloat32Array().map((v) => (v > 0 ? 1 : 0)),
    [3, 4]
  );
  const labels = new Int32Array([0, 3, 2]);
  const pairs: [Tensor, Tensor][] = [
    [new nn.MSELoss().forward(x, y), F.mseLoss(x, y)],
    [new nn.L1Loss({ reduction: 'sum' }).forward(x, y), F.l1Loss(x, y, { reduction: 'sum' })],
    [new nn.SmoothL1Loss({ beta: 0.5 }).forward(x, y), F.smoothL1Loss(x, y, { beta: 0.5 })],
    [new nn.BCELoss().forward(prob, target), F.binaryCrossEntropy(prob, target)],
    [
      new nn.BCEWithLogitsLoss({ posWeight: tensor([1, 2, 3, 4]) }).forward(x, target),
      F.binaryCrossEntropyWithLogits(x, target, { posWeight: tensor([1, 2, 3, 4]) }),
    ],
    [new nn.NLLLoss().forward(x, labels), F.nllLoss(x, labels)],
    [
      new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }).call(x, labels),
      F.crossEntropy(x, labels, { labelSmoothing: 0.1 }),
    ],
  ];
  for (const [a, b] of pairs) expectClose(a.toFloat32Array(), b.toFloat32Array(), 'module = F', 0);
  expectThrows(() => new nn.MSELoss().forward(x), ['nn.MSELoss', 'target'], 'no target');
});

t.run();
