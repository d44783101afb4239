// Shape ops and matmul against PyTorch (test/fixtures/shape.json from scripts/fixtures/shape.py):
// forward and gradients, negative dims, broadcast batch dims, non-contiguous inputs; gradcheck
// for every backward; error messages.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, gradcheck, init, manualSeed, randn, tensor, type Tensor } from '../../src/index.js';
import { addFixtureCases, type CaseFn } from '../opcases.js';
import { expectThrows } from '../util.js';

const t = suite('shape ops');
await init();

const table: Record<string, CaseFn> = {
  'permute [2,3,4] (2,0,1)': (x) => x.permute([2, 0, 1]),
  'permute [2,3,4] (-1,0,-2)': (x) => x.permute([-1, 0, -2]),
  'permute [2,3,4,5] (0,2,3,1)': (x) => x.permute([0, 2, 3, 1]),
  'transpose [2,3,4] (-1,0)': (x) => x.transpose(-1, 0),
  'transpose [5,33] (0,1)': (x) => x.transpose(0, 1),
  't [3,5]': (x) => x.t(),
  'narrow [4,5,3] (1,1,3)': (x) => x.narrow(1, 1, 3),
  'narrow [4,5] (-1,-2,2)': (x) => x.narrow(-1, -2, 2),
  'unsqueeze [2,3] -1': (x) => x.unsqueeze(-1),
  'squeeze [1,3,1,2]': (x) => x.squeeze(),
  'squeeze [1,3,1,2] [0,2]': (x) => x.squeeze([0, 2]),
  'squeeze [1,3,1,2] 1': (x) => x.squeeze(1),
  'flatten [2,3,4]': (x) => x.flatten(),
  'flatten [2,3,4] 1': (x) => x.flatten(1),
  'expand [3,1] to [2,3,4]': (x) => x.expand([2, 3, 4]),
  'expand [1,4] to [3,-1]': (x) => x.expand([3, -1]),
  'cat [2,3] [2,5] dim 1': (a, b) => F.cat([a, b], 1),
  'cat [1,3] [4,3] [2,3] dim -2': (a, b, c) => F.cat([a, b, c], -2),
  'cat [2,1,3] x2 dim -1': (a, b) => F.cat([a, b], -1),
  'stack [2,3] x3 dim 1': (a, b, c) => F.stack([a, b, c], 1),
  'stack [2,3] x2 dim -1': (a, b) => F.stack([a, b], -1),
  'split [7,3] 3': (x) => x.split(3),
  'split [7,3] [2,5]': (x) => F.split(x, [2, 5]),
  'split [3,5] 2 dim -1': (x) => x.split(2, -1),
  'chunk [7,2] 3': (x) => x.chunk(3),
  'chunk [2,6] 4 dim 1': (x) => F.chunk(x, 4, 1),
  'pad [2,3,4] (1,2)': (x) => F.pad(x, [1, 2]),
  'pad [2,3,4] (1,1,2,0) value 0.5': (x) => F.pad(x, [1, 1, 2, 0], 0.5),
  'pad [2,3,4] (-1,2,0,-1)': (x) => F.pad(x, [-1, 2, 0, -1]),
  'pad [2,3,4] (0,1,1,0,2,1)': (x) => F.pad(x, [0, 1, 1, 0, 2, 1]),
  'matmul t([3,4])@[3,5]': (a, b) => a.t().matmul(b),
  'matmul permute([4,2,3])@narrow([2,5,6])': (a, b) =>
    F.matmul(a.permute([1, 2, 0]), b.narrow(-1, 1, 4).narrow(1, 0, 4)),
  'permute [2,3,4] then sum -1': (x) => x.permute([2, 0, 1]).sum(-1),
  'transpose [2,3,4] then softmax -1': (x) => F.softmax(x.transpose(1, 2), -1),
  'narrow [5,4] then mean 0': (x) => x.narrow(0, 1, 3).mean(0),
  'expand [1,3] then cat with [2,3]': (a, b) => F.cat([a.expand([2, 3]), b], 0),
};
for (const name of [
  '[3]@[3]',
  '[2,3]@[3]',
  '[3]@[3,4]',
  '[3]@[2,3,4]',
  '[2,3,4]@[4]',
  '[2,3]@[3,4]',
  '[2,1,3,4]@[5,4,2]',
  '[2,3,4]@[4,5]',
  '[3,4]@[2,4,5]',
  '[1,3,4]@[2,4,5]',
  '[1,3,4]@[1,4,2]',
  '[2,3,5]@[2,5,3]',
]) {
  table[`matmul ${name}`] = (a, b) => F.matmul(a, b);
}
addFixtureCases(t, 'shape', table);

function leaf(shape: number[], seed: number): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  x.requiresGrad = true;
  return x;
}

t('gradcheck: permute, narrow, expand, cat, stack, split, pad', () => {
  gradcheck((x) => x.permute([2, 0, 1]), [leaf([2, 3, 4], 1)]);
  gradcheck((x) => x.narrow(1, 1, 2), [leaf([3, 4], 2)]);
  gradcheck((x) => x.expand([2, 3, 4]), [leaf([3, 1], 3)]);
  gradcheck((a, b) => F.cat([a, b], 1), [leaf([2, 2], 4), leaf([2, 3], 5)]);
  gradcheck((a, b) => F.stack([a, b], 0), [leaf([2, 3], 6), leaf([2, 3], 7)]);
  gradcheck(
    (x) =>
      F.cat(
        x.split(2, 1).map((p) => F.mul(p, p)),
        1
      ),
    [leaf([2, 3], 8)]
  );
  gradcheck((x) => F.cat(x.chunk(2, 0).reverse(), 0), [leaf([3, 2], 18)]);
  gradcheck((x) => F.pad(x, [1, -1, 2, 0], 0.3), [leaf([2, 3, 4], 9)]);
});

t('gradcheck: matmul broadcast batch and 1-D operands', () => {
  gradcheck((a, b) => F.matmul(a, b), [leaf([2, 1, 3, 4], 10), leaf([5, 4, 2], 11)], {
    rtol: 2e-2,
  });
  gradcheck((a, b) => F.matmul(a, b), [leaf([3], 12), leaf([2, 3, 4], 13)], { rtol: 2e-2 });
  gradcheck((a, b) => F.matmul(a, b), [leaf([2, 3, 4], 14), leaf([4], 15)], { rtol: 2e-2 });
  gradcheck((a, b) => F.matmul(a, b), [leaf([3, 5], 16), leaf([5], 17)], { rtol: 2e-2 });
});

t('views share storage; contiguous is the tensor itself', () => {
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const u = x.unsqueeze(0);
  assert.equal(u.shape, [1, 2, 3]);
  u.data()[0] = 9;
  assert.is(x.data()[0], 9);
  assert.is(x.contiguous(), x);
  assert.equal(x.t().toFloat32Array(), Float32Array.from([9, 4, 2, 5, 3, 6]));
  assert.equal(tensor([1, 2], [2]).t().shape, [2]);
  assert.equal(x.chunk(5, 1).length, 3);
  assert.equal(
    F.split(tensor([1, 2, 3, 4, 5], [5]), 2).map((p) => p.shape[0]),
    [2, 2, 1]
  );
});

t('errors name the op, the argument and the shapes', () => {
  const x = randn([2, 3]);
  expectThrows(
    () => F.matmul(randn([2, 3]), randn([4, 5])),
    ['matmul: a [2,3] and b [4,5]: inner dimensions 3 and 4 differ'],
    'matmul inner'
  );
  expectThrows(
    () => F.matmul(randn([2, 3, 4]), randn([3, 4, 5])),
    ['matmul', 'broadcast', '[2]', '[3]'],
    'matmul batch'
  );
  expectThrows(() => F.matmul(randn([]), randn([3])), ['matmul', 'at least 1 dim'], 'matmul 0-d');
  expectThrows(() => x.transpose(0, 2), ['transpose', 'dim1 2', '[2,3]'], 'transpose dim');
  expectThrows(() => x.permute([0, 0]), ['permute', '[2,3]'], 'permute repeat');
  expectThrows(
    () => x.narrow(1, 2, 2),
    ['narrow', 'start (2) + length (2)', '[2,3]'],
    'narrow length'
  );
  expectThrows(() => x.expand([4, 3]), ['expand', '[2,3]', '[4,3]'], 'expand');
  expectThrows(() => F.cat([x, randn([3, 3])], 1), ['cat', '[2,3]', '[3,3]'], 'cat');
  expectThrows(() => F.stack([x, randn([3, 2])]), ['stack', '[2,3]', '[3,2]'], 'stack');
  expectThrows(() => F.pad(x, [1, 2, 3]), ['pad', 'even'], 'pad odd');
  expectThrows(() => F.pad(x, [-2, -2]), ['pad', 'negative output size'], 'pad crop');
  expectThrows(() => x.split([1, 2]), ['split', 'sum to 2'], 'split sections');
  expectThrows(() => randn([2, 2, 2]).t(), ['t:', '[2,2,2]'], 't 3-d');
});

t.run();
