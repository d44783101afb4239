// F.softmax / F.logSoftmax and nn.Softmax / nn.LogSoftmax: gradcheck over each dim, PyTorch's
// implicit dim, stability at large magnitudes and -inf. Values and gradients against PyTorch are
// in test/ops/reduce.test.ts (fixture cases 'softmax ...' and 'logSoftmax ...').
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, gradcheck, init, manualSeed, nn, randn, tensor, type Tensor } from '../../src/index.js';
import { expectClose } from '../util.js';

const t = suite('softmax ops');
await init();

function leaf(shape: number[], seed: number): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  x.requiresGrad = true;
  return x;
}

t('gradcheck over every dim, rows and strided columns', () => {
  for (const d of [0, 1, -1]) {
    gradcheck((x) => F.softmax(x, d), [leaf([3, 5, 4], 1 + d)], { rtol: 2e-2 });
    gradcheck((x) => F.logSoftmax(x, d), [leaf([2, 6, 5], 5 + d)], { rtol: 2e-2 });
  }
});

t('layers and the implicit dim (0 for 0-, 1- and 3-d inputs, 1 otherwise)', () => {
  const x = randn([2, 3, 4]);
  expectClose(
    new nn.Softmax(-1).forward(x).toFloat32Array(),
    F.softmax(x, 2).toFloat32Array(),
    'Softmax(-1)',
    0
  );
  expectClose(
    new nn.LogSoftmax(1).forward(x).toFloat32Array(),
    F.logSoftmax(x, 1).toFloat32Array(),
    'LogSoftmax(1)',
    0
  );
  expectClose(
    new nn.Softmax().forward(x).toFloat32Array(),
    F.softmax(x, 0).toFloat32Array(),
    'implicit 3-d',
    0
  );
  const y = randn([2, 5]);
  expectClose(F.softmax(y).toFloat32Array(), F.softmax(y, 1).toFloat32Array(), 'implicit 2-d', 0);
  assert.is(F.softmax(tensor([3], [])).item(), 1);
});

t('large logits do not overflow; -inf gets probability 0', () => {
  const x = tensor([1000, 999, -1000, -Infinity], [1, 4]);
  const p = F.softmax(x, -1).toFloat32Array();
  const e = Math.exp(-1);
  expectClose(p, [1 / (1 + e), e / (1 + e), 0, 0], 'softmax large', 1e-6);
  const lp = F.logSoftmax(x, -1).toFloat32Array();
  assert.is(lp[3], -Infinity);
  expectClose(lp.slice(0, 2), [-Math.log1p(e), -1 - Math.log1p(e)], 'logSoftmax large', 1e-6);
});

t.run();
