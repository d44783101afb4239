// Reductions against PyTorch (test/fixtures/reduce.json from scripts/fixtures/reduce.py): sum,
// mean, amax/amin with ties, max/min with indices, argmax/argmin, var/std, over negative,
// several and all dims with keepdim; gradcheck for each backward; error messages.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, gradcheck, init, manualSeed, randn, tensor, type Tensor } from '../../src/index.js';
import { addFixtureCases, type CaseFn } from '../opcases.js';
import { expectThrows } from '../util.js';

const t = suite('reduce ops');
await init();

const table: Record<string, CaseFn> = {
  'sum all [2,3,4]': (x) => x.sum(),
  'sum 1 [2,3,4]': (x) => x.sum(1),
  'sum -1 keepdim [2,3,4]': (x) => x.sum(-1, true),
  'sum [0,2] [2,3,4]': (x) => x.sum([0, 2]),
  'sum [-1,0] keepdim [2,3,4]': (x) => F.sum(x, [-1, 0], true),
  'sum 0 [1,5]': (x) => x.sum(0),
  'sum [1,3] [2,3,5,4]': (x) => x.sum([1, 3]),
  'mean all [2,3,4]': (x) => F.mean(x),
  'mean -2 [2,3,4]': (x) => x.mean(-2),
  'mean [0,2] keepdim [2,3,4]': (x) => x.mean([0, 2], true),
  'amax 1 ties [2,5,4]': (x) => x.amax(1),
  'amax [0,2] ties [3,2,5]': (x) => x.amax([0, 2]),
  'amax all ties [3,4]': (x) => x.amax(),
  'amin -1 keepdim ties [3,6]': (x) => x.amin(-1, true),
  'amax -1 [4,7]': (x) => x.amax(-1),
  'max 1 [2,5,3]': (x) => x.max(1),
  'max -1 keepdim [3,6]': (x) => x.max(-1, true),
  'min 0 [4,3]': (x) => x.min(0),
  'max all ties [3,4]': (x) => x.max(),
  'max 1 ties [3,7]': (x) => x.max(1),
  'argmax all [3,4]': (x) => x.argmax(),
  'argmax 1 [2,5,3]': (x) => x.argmax(1),
  'argmax -1 keepdim [3,6]': (x) => x.argmax(-1, true),
  'argmin 0 [4,3]': (x) => x.argmin(0),
  'argmax 1 ties [3,7]': (x) => x.argmax(1),
  'var all [2,3,4]': (x) => x.var(),
  'var 1 [2,3,4]': (x) => x.var(1),
  'var [0,2] unbiased=False [2,3,4]': (x) => x.var([0, 2], { unbiased: false }),
  'var -1 keepdim correction=0 [2,3,4]': (x) => x.var(-1, { correction: 0, keepdim: true }),
  'std 1 [2,3,4]': (x) => x.std(1),
  'std all [5,7]': (x) => x.std(),
  'std [0,1] keepdim [2,3,4]': (x) => x.std([0, 1], { keepdim: true }),
};
const scale30 = (x: Tensor): Tensor => F.mul(x, tensor(new Array(x.size).fill(30), x.shape));
for (const d of [0, 1, 2, -1]) {
  table[`softmax ${d} [2,5,4]`] = (x) => F.softmax(x, d);
  table[`logSoftmax ${d} [2,5,3]`] = (x) => F.logSoftmax(x, d);
}
table['softmax 1 [2,3,5,4]'] = (x) => x.softmax(1);
table['softmax -1 x30 [3,17]'] = (x) => F.softmax(scale30(x), -1);
table['logSoftmax -1 x30 [3,17]'] = (x) => F.logSoftmax(scale30(x), -1);
table['softmax -1 [1,1]'] = (x) => F.softmax(x, -1);
table['logSoftmax 0 [9]'] = (x) => F.logSoftmax(x, 0);
addFixtureCases(t, 'reduce', table);

function leaf(shape: number[], seed: number): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  x.requiresGrad = true;
  return x;
}

t('gradcheck: sum, mean, amax, max(dim), var, std over dims', () => {
  gradcheck((x) => x.sum([0, 2], true), [leaf([2, 3, 4], 1)]);
  gradcheck((x) => x.mean(-1), [leaf([3, 5], 2)]);
  gradcheck((x) => x.amax([0, 2]), [leaf([3, 2, 5], 3)]);
  gradcheck((x) => x.amin(1, true), [leaf([2, 6, 3], 4)]);
  gradcheck((x) => x.max(1).values, [leaf([2, 5, 3], 5)]);
  gradcheck((x) => x.min(-1).values, [leaf([4, 3], 6)]);
  gradcheck((x) => x.var([0, 2]), [leaf([3, 2, 4], 7)], { rtol: 2e-2 });
  gradcheck((x) => x.std(1, { correction: 0 }), [leaf([2, 6, 5], 8)], { rtol: 2e-2 });
  gradcheck((x) => x.var(), [leaf([4, 5], 9)], { rtol: 2e-2 });
});

t('edge cases: 0-d input, keepdim shapes, var of one value, mean of nothing', () => {
  const s = tensor([2.5], []);
  assert.is(s.sum(0).item(), 2.5);
  assert.equal(s.sum(-1, true).shape, []);
  assert.equal(randn([2, 3, 4]).sum([0, 2], true).shape, [1, 3, 1]);
  assert.equal(randn([2, 3]).argmax(undefined, true).shape, [1, 1]);
  assert.ok(Number.isNaN(tensor([1], [1]).var().item()));
  assert.ok(Number.isNaN(randn([2, 0]).mean(1).toFloat32Array()[0]));
  assert.equal(randn([2, 0]).sum(1).toFloat32Array(), new Float32Array(2));
  const { values, indices } = tensor([1, 7, 7, 3], [2, 2]).max(1);
  assert.equal([...values.toFloat32Array()], [7, 7]);
  assert.equal([...indices.toFloat32Array()], [1, 0]);
});

t('errors name the op, the argument and the shapes', () => {
  const x = randn([2, 3]);
  expectThrows(() => x.sum(2), ['sum', 'dim 2', '[2,3]'], 'sum dim');
  expectThrows(() => x.mean([0, -2]), ['mean', 'more than once'], 'mean repeat');
  expectThrows(() => x.amax(-3), ['amax', 'dim -3', '[2,3]'], 'amax dim');
  expectThrows(() => randn([2, 0]).amax(1), ['amax', 'empty', '[2,0]'], 'amax empty');
  expectThrows(() => x.max(5), ['max', 'dim 5'], 'max dim');
  expectThrows(() => x.var(0, { correction: NaN }), ['var', 'correction'], 'var correction');
});

t.run();
