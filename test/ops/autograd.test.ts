// Every op's backward against finite differences (src/autograd/gradcheck.ts), a whole small
// model end to end, gradient accumulation for a tensor used twice, noGrad, and bad arguments.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  F,
  type Tensor,
  gradcheck,
  init,
  manualSeed,
  nn,
  noGrad,
  randn,
  tensor,
  tidy,
} from '../../src/index.js';
import { expectClose, expectThrows } from '../util.js';

const t = suite('autograd');
await init();

function leaf(shape: number[], seed: number): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  x.requiresGrad = true;
  return x;
}

/** Values far from ties and kinks, so max pool and ReLU are differentiable at the sample. */
function distinct(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = Array.from({ length: n }, (_, i) => i);
  manualSeed(seed);
  const x = randn([n]);
  const order = perm.sort((a, b) => x.data()[a] - x.data()[b]);
  const vals = new Float32Array(n);
  order.forEach((idx, rank) => {
    vals[idx] = (rank - n / 2) * 0.1 + 0.05;
  });
  x.dispose();
  return tensor(vals, shape, { requiresGrad: true });
}

const convCases: [string, number[], number[], object][] = [
  ['n=2 c=3 h=6 w=5 o=4 k=3 s=1 p=1', [2, 3, 6, 5], [4, 3, 3, 3], { padding: 1 }],
  [
    'n=1 c=4 h=7 w=7 o=2 k=3 s=2 p=1 d=2 g=2',
    [1, 4, 7, 7],
    [2, 2, 3, 3],
    { stride: 2, padding: 1, dilation: 2, groups: 2 },
  ],
  ['n=1 c=3 h=5 w=6 o=3 k=3 p=1 depthwise', [1, 3, 5, 6], [3, 1, 3, 3], { padding: 1, groups: 3 }],
  ['n=1 c=2 h=6 w=6 o=3 k=1 s=2', [1, 2, 6, 6], [3, 2, 1, 1], { stride: 2 }],
];
for (const [name, xs, ws, opts] of convCases) {
  t(`conv2d gradcheck ${name}`, () => {
    const x = leaf(xs, 1),
      w = leaf(ws, 2),
      b = leaf([ws[0]], 3);
    gradcheck((a, c, d) => F.conv2d(a, c, d, opts), [x, w, b]);
  });
}

t('linear gradcheck batch=3 in=5 out=4 (and 3-D input)', () => {
  gradcheck((a, w, b) => F.linear(a, w, b), [leaf([3, 5], 4), leaf([4, 5], 5), leaf([4], 6)]);
  gradcheck((a, w) => F.linear(a, w), [leaf([2, 3, 5], 7), leaf([4, 5], 8)]);
});

t('relu gradcheck', () => {
  gradcheck((a) => F.relu(a), [distinct([2, 3, 4], 9)]);
});
t('maxPool2d gradcheck k=2 and k=3 s=2 p=1', () => {
  gradcheck((a) => F.maxPool2d(a, { kernelSize: 2 }), [distinct([2, 2, 6, 5], 10)]);
  gradcheck(
    (a) => F.maxPool2d(a, { kernelSize: 3, stride: 2, padding: 1 }),
    [distinct([1, 2, 7, 6], 11)]
  );
});
t('avgPool2d and adaptiveAvgPool2d gradcheck', () => {
  gradcheck(
    (a) => F.avgPool2d(a, { kernelSize: 3, stride: 2, padding: 1 }),
    [leaf([1, 2, 7, 5], 12)]
  );
  gradcheck((a) => F.adaptiveAvgPool2d(a, 1), [leaf([2, 3, 4, 5], 13)]);
});
t('add, mul, sum, mean, flatten, reshape gradcheck', () => {
  gradcheck((a, b) => F.add(a, b), [leaf([3, 4], 14), leaf([3, 4], 15)]);
  gradcheck((a, b) => F.mul(a, b), [leaf([3, 4], 16), leaf([3, 4], 17)]);
  gradcheck((a) => F.sum(a), [leaf([2, 5], 18)]);
  gradcheck((a) => F.mean(a), [leaf([2, 5], 19)]);
  gradcheck((a) => F.mul(a, a).sum(), [leaf([2, 5], 28)]);
  gradcheck((a) => a.mean(), [leaf([3, 2], 29)]);
  gradcheck((a) => F.flatten(F.mul(a, a)), [leaf([2, 3, 2], 20)]);
  gradcheck((a) => F.mul(a, a).reshape([6, -1]), [leaf([2, 3, 2], 21)]);
});
t('crossEntropy gradcheck batch=4 classes=5', () => {
  gradcheck((a) => F.crossEntropy(a, [0, 4, 2, 2]), [leaf([4, 5], 22)]);
});
t('dropout gradcheck (same mask each evaluation via a fixed seed)', () => {
  const x = leaf([4, 6], 23);
  gradcheck(
    (a) => {
      manualSeed(99);
      return F.dropout(a, 0.4, true);
    },
    [x]
  );
});

t('whole small model: conv-relu-pool-linear-crossEntropy gradcheck of every parameter', () => {
  manualSeed(24);
  const model = new nn.Sequential(
    new nn.Conv2d(2, 3, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(3 * 3 * 3, 4)
  );
  const x = randn([2, 2, 6, 6]);
  const params = model.parameters();
  // A small step keeps ReLU signs and pool arg-maxes fixed across the difference.
  gradcheck((..._ps) => F.crossEntropy(model.forward(x), [1, 3]), params, {
    eps: 1e-3,
    rtol: 2e-2,
  });
});

t('a tensor used twice accumulates both gradients', () => {
  const x = leaf([3], 25);
  const y = F.sum(F.add(F.mul(x, x), x)); // d/dx = 2x + 1
  y.backward();
  const expected = x.toFloat32Array().map((v) => 2 * v + 1);
  expectClose(x.grad!.toFloat32Array(), expected, 'x*x + x');
  // backward again accumulates into .grad, as in PyTorch
  F.sum(x).backward();
  expectClose(
    x.grad!.toFloat32Array(),
    expected.map((v) => v + 1),
    'accumulated'
  );
});

t('noGrad records nothing and tensors without requiresGrad get no graph', () => {
  const x = leaf([2, 2], 26);
  const y = noGrad(() => F.relu(x));
  assert.is(y.requiresGrad, false);
  assert.is(y.node, null);
  const z = F.relu(randn([2, 2]));
  assert.is(z.requiresGrad, false);
  expectThrows(() => z.backward(), ['backward', 'does not require grad'], 'backward without graph');
});

t('non-scalar backward needs a gradient of the same shape', () => {
  const x = leaf([2, 3], 27);
  const y = F.mul(x, x);
  expectThrows(() => y.backward(), ['backward', 'non-scalar', '[2,3]'], 'no gradient');
  expectThrows(
    () => y.backward(tensor([1, 2], [2])),
    ['gradient shape [2]', 'output shape [2,3]'],
    'wrong shape'
  );
  y.backward(tensor([1, 1, 1, 2, 2, 2], [2, 3]));
  const xs = x.toFloat32Array();
  expectClose(
    x.grad!.toFloat32Array(),
    xs.map((v, i) => 2 * v * (i < 3 ? 1 : 2)),
    'y.backward(g)'
  );
});

t('tidy frees intermediates and keeps the result and parameters', () => {
  const lin = new nn.Linear(4, 3);
  const heap = (): number => lin.weight.buf.ptr;
  const before = heap();
  const out = tidy(() => F.relu(lin.forward(randn([2, 4]))));
  assert.is(out.disposed, false);
  assert.is(lin.weight.disposed, false);
  assert.is(heap(), before);
  out.dispose();
  assert.is(out.disposed, true);
  expectThrows(() => out.toFloat32Array(), ['disposed'], 'use after dispose');
});

t('ops reject bad arguments, naming them', () => {
  expectThrows(
    () => F.conv2d(randn([1, 6, 8, 8]), randn([4, 4, 3, 3]), null, { groups: 2 }),
    ['conv2d', 'weight.shape[1] (4) * groups (2)', 'input channels (6)'],
    'conv groups'
  );
  expectThrows(
    () => F.linear(randn([2, 5]), randn([3, 4])),
    ['linear', 'weight.shape[1] (4)', '[2,5]'],
    'linear in'
  );
  expectThrows(
    () => F.crossEntropy(randn([2, 3]), [0, 3]),
    ['labels[1] = 3', 'out of range'],
    'label range'
  );
  expectThrows(() => F.crossEntropy(randn([2, 3]), [0]), ['1 labels', 'batch 2'], 'label count');
  expectThrows(() => F.add(randn([2, 3]), randn([3, 2])), ['add', '[2,3]', '[3,2]'], 'add shapes');
  expectThrows(() => tensor([1, 2, 3], [2, 2]), ['tensor', '3 values', 'needs 4'], 'tensor data');
  expectThrows(() => randn([2, 3]).reshape([4, -1]), ['reshape', '-1'], 'reshape');
  expectThrows(
    () => F.maxPool2d(randn([1, 1, 4, 4]), { kernelSize: 0 }),
    ['maxPool2d', 'kernelSize'],
    'pool k=0'
  );
});

t.run();
