// Pointwise ops and activations against PyTorch (test/fixtures/pointwise.json, written by
// scripts/fixtures/pointwise.py): forward and the gradient of every input on broadcasting shapes,
// number operands, batch 1 and the kinks; finite differences of every backward; Tensor methods,
// layers and error messages.
import { suite } from 'uvu';
import {
  F,
  Tensor,
  gradcheck,
  init,
  manualSeed,
  nn,
  noGrad,
  randn,
  tensor,
} from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';
import { expectClose, expectThrows } from '../util.js';

const t = suite('pointwise ops');
await init();

type Operand = FixtureTensor | number;
interface BinaryCase {
  kind: 'binary';
  op: string;
  a: Operand;
  b: Operand;
  out: FixtureTensor;
  gradOut?: FixtureTensor;
  gradA?: FixtureTensor | null;
  gradB?: FixtureTensor | null;
}
interface UnaryCase {
  kind: 'unary';
  op: string;
  args: number[];
  x: FixtureTensor;
  out: FixtureTensor;
  gradOut: FixtureTensor;
  gradX: FixtureTensor;
}

type Fn = (...args: unknown[]) => Tensor;
const ops = F as unknown as Record<string, Fn>;

const fmt = (v: Operand): string => (typeof v === 'number' ? String(v) : `[${v.shape}]`);

function load(v: Operand, requiresGrad: boolean): Tensor | number {
  return typeof v === 'number' ? v : tensor(v.data, v.shape, { requiresGrad });
}

function expectTensor(got: Tensor | null, ref: FixtureTensor, label: string, rtol = 1e-5): void {
  if (!got) throw new Error(`${label}: no gradient`);
  if (got.shape.join() !== ref.shape.join()) {
    throw new Error(`${label}: shape [${got.shape}] != PyTorch's [${ref.shape}]`);
  }
  expectClose(got.toFloat32Array(), ref.data, label, rtol);
}

for (const c of loadFixture<BinaryCase | UnaryCase>('pointwise')) {
  if (c.kind === 'binary') {
    t(`${c.op} ${fmt(c.a)} with ${fmt(c.b)} vs PyTorch`, () => {
      const a = load(c.a, !!c.gradA);
      const b = load(c.b, !!c.gradB);
      const y = ops[c.op](a, b);
      expectTensor(y, c.out, `${c.op} forward`);
      if (!c.gradOut) return;
      y.backward(tensor(c.gradOut.data, c.gradOut.shape));
      if (c.gradA) expectTensor((a as Tensor).grad, c.gradA, `${c.op} grad of input`);
      if (c.gradB) expectTensor((b as Tensor).grad, c.gradB, `${c.op} grad of other`);
    });
  } else {
    t(`${c.op}(${c.args}) [${c.x.shape}] vs PyTorch`, () => {
      const x = tensor(c.x.data, c.x.shape, { requiresGrad: true });
      const y = ops[c.op](x, ...c.args);
      expectTensor(y, c.out, `${c.op} forward`);
      y.backward(tensor(c.gradOut.data, c.gradOut.shape));
      expectTensor(x.grad, c.gradX, `${c.op} grad`);
    });
  }
}

function leaf(shape: number[], seed: number, map: (v: number) => number = (v) => v): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  const d = x.data();
  for (let i = 0; i < d.length; i++) d[i] = map(d[i]);
  x.requiresGrad = true;
  return x;
}

const awayFromZero = (v: number): number => v + Math.sign(v || 1) * 0.5;
const positive = (v: number): number => Math.abs(v) + 0.3;

t('gradcheck: binary ops on broadcasting shapes and number operands', () => {
  const shapes: [number[], number[]][] = [
    [[2, 3, 4], [4]],
    [
      [2, 1, 3],
      [4, 1],
    ],
    [[3], []],
  ];
  shapes.forEach(([sa, sb], k) => {
    for (const op of ['add', 'sub', 'mul', 'maximum', 'minimum']) {
      gradcheck((a, b) => ops[op](a, b), [leaf(sa, 10 * k + 1), leaf(sb, 10 * k + 2)]);
    }
    gradcheck((a, b) => F.div(a, b), [leaf(sa, 10 * k + 3), leaf(sb, 10 * k + 4, awayFromZero)]);
    gradcheck((a, b) => F.pow(a, b), [leaf(sa, 10 * k + 5, positive), leaf(sb, 10 * k + 6)]);
  });
  gradcheck((a) => F.sub(2, a), [leaf([5], 7)]);
  gradcheck((a) => F.div(1.5, a), [leaf([5], 8, awayFromZero)]);
  gradcheck((a) => F.pow(2, a), [leaf([5], 9)]);
  gradcheck((a) => a.mul(a).add(a).sub(3), [leaf([2, 3], 10)]);
});

t('gradcheck: unary maps and activations away from their kinks', () => {
  const kinkFree = (v: number): number =>
    Math.abs(Math.abs(v) - 3) < 0.1 ? v + 0.3 : awayFromZero(v);
  const unary: [string, unknown[], (v: number) => number][] = [
    ['neg', [], (v) => v],
    ['exp', [], (v) => v],
    ['log', [], positive],
    ['sqrt', [], positive],
    ['rsqrt', [], positive],
    ['abs', [], awayFromZero],
    ['sigmoid', [], (v) => 2 * v],
    ['tanh', [], (v) => v],
    ['relu', [], awayFromZero],
    ['leakyRelu', [0.2], awayFromZero],
    ['hardtanh', [-0.5, 2], (v) => (Math.abs(v + 0.5) < 0.1 ? v + 0.3 : v)],
    ['relu6', [], kinkFree],
    ['hardswish', [], (v) => 2 * kinkFree(v)],
    ['hardsigmoid', [], (v) => 2 * kinkFree(v)],
    ['gelu', [], (v) => 2 * v],
    ['silu', [], (v) => 2 * v],
    ['softplus', [], (v) => 3 * v],
    ['softplus', [2, 1], (v) => v],
    ['pow', [2], (v) => v],
    ['pow', [3], (v) => v],
    ['pow', [-0.5], positive],
    ['pow', [1.7], positive],
    ['pow', [0], (v) => v],
  ];
  unary.forEach(([op, args, map], k) => {
    gradcheck((x) => ops[op](x, ...args), [leaf([3, 5], 40 + k, map)]);
  });
});

t('Tensor methods are the F ops', () => {
  const a = leaf([2, 3], 1),
    b = leaf([3], 2, awayFromZero);
  const pairs: [Tensor, Tensor][] = [
    [a.add(b), F.add(a, b)],
    [a.sub(2), F.sub(a, 2)],
    [a.mul(b), F.mul(a, b)],
    [a.div(b), F.div(a, b)],
    [a.pow(2), F.pow(a, 2)],
    [a.abs().pow(b), F.pow(F.abs(a), b)],
    [a.maximum(b), F.maximum(a, b)],
    [a.minimum(0), F.minimum(a, 0)],
    [a.eq(b), F.eq(a, b)],
    [a.ne(b), F.ne(a, b)],
    [a.lt(0), F.lt(a, 0)],
    [a.le(b), F.le(a, b)],
    [a.gt(b), F.gt(a, b)],
    [a.ge(0), F.ge(a, 0)],
    [a.neg(), F.neg(a)],
    [a.exp(), F.exp(a)],
    [a.abs().log(), F.log(F.abs(a))],
    [a.abs().sqrt(), F.sqrt(F.abs(a))],
    [a.abs().rsqrt(), F.rsqrt(F.abs(a))],
    [a.sigmoid(), F.sigmoid(a)],
    [a.tanh(), F.tanh(a)],
    [a.relu(), F.relu(a)],
  ];
  pairs.forEach(([m, f], i) =>
    expectClose(m.toFloat32Array(), f.toFloat32Array(), `method ${i}`, 0)
  );
});

t('comparisons give 0/1 float masks without gradient', () => {
  const a = tensor([1, 2, 3, 4], [4], { requiresGrad: true });
  const m = F.gt(a, 2.5);
  expectClose(m.toFloat32Array(), [0, 0, 1, 1], 'gt mask', 0);
  if (m.requiresGrad || m.dtype !== 'float32')
    throw new Error('a mask must be float32 without grad');
});

t('a tensor reaching a sum through two paths gets both gradients (no aliasing)', () => {
  const a = leaf([2, 3], 3),
    b = leaf([2, 3], 4);
  const g = randn([2, 3]);
  F.add(F.add(a, b), a).backward(g);
  const gs = g.toFloat32Array();
  expectClose(
    a.grad!.toFloat32Array(),
    gs.map((v) => 2 * v),
    'a gets 2g',
    1e-6
  );
  expectClose(b.grad!.toFloat32Array(), gs, 'b gets g', 1e-6);
  const c = leaf([3], 5);
  F.sub(F.mul(c, 2), c).backward(tensor([1, 1, 1]));
  expectClose(c.grad!.toFloat32Array(), [1, 1, 1], 'd(2c - c)/dc', 1e-6);
});

t('zero-size and 0-dim operands', () => {
  const e = F.add(Tensor.empty([0, 3]), randn([3]));
  if (e.shape.join() !== '0,3' || e.size !== 0) throw new Error(`got [${e.shape}]`);
  const s = F.mul(tensor([3], []), tensor([2], []));
  if (s.shape.length !== 0 || s.item() !== 6)
    throw new Error(`0-dim product: [${s.shape}] ${s.item()}`);
  const x = tensor([1, 2], [2], { requiresGrad: true });
  F.mul(x, Tensor.empty([0, 2])).backward(Tensor.empty([0, 2]));
  expectClose(x.grad!.toFloat32Array(), [0, 0], 'gradient through an empty broadcast', 0);
  noGrad(() => F.add(x, 1));
});

t('activation layers call their F op', () => {
  const x = leaf([2, 5], 6, (v) => 4 * v);
  const layers: [nn.Module, Tensor][] = [
    [new nn.Sigmoid(), F.sigmoid(x)],
    [new nn.Tanh(), F.tanh(x)],
    [new nn.LeakyReLU(0.1), F.leakyRelu(x, 0.1)],
    [new nn.LeakyReLU(), F.leakyRelu(x, 0.01)],
    [new nn.ReLU6(), F.hardtanh(x, 0, 6)],
    [new nn.Hardtanh(-2, 3), F.hardtanh(x, -2, 3)],
    [new nn.Hardswish(), F.hardswish(x)],
    [new nn.Hardsigmoid(), F.hardsigmoid(x)],
    [new nn.Softplus(2, 3), F.softplus(x, 2, 3)],
  ];
  layers.forEach(([m, ref], i) => {
    expectClose(m.forward(x).toFloat32Array(), ref.toFloat32Array(), `layer ${i}`, 0);
  });
});

t('errors name the op, the argument and both shapes', () => {
  expectThrows(
    () => F.add(randn([4, 3]), randn([5])),
    ['add: cannot broadcast [4,3] with [5]'],
    'add'
  );
  expectThrows(
    () => F.maximum(randn([2, 3]), randn([3, 2])),
    ['maximum', '[2,3]', '[3,2]'],
    'maximum'
  );
  expectThrows(() => F.mul(2, 3), ['mul', 'Tensor'], 'two numbers');
  expectThrows(
    () => F.div(randn([2]), 'x' as unknown as number),
    ['div', 'other', 'x'],
    'a string'
  );
  const d = randn([2]);
  d.dispose();
  expectThrows(() => F.sub(randn([2]), d), ['sub', 'other', 'disposed'], 'disposed');
  expectThrows(() => F.exp(3 as unknown as Tensor), ['exp', 'input'], 'exp of a number');
  expectThrows(() => F.leakyRelu(randn([2]), NaN), ['leakyRelu', 'negativeSlope'], 'slope');
  expectThrows(() => new nn.Hardtanh(1, -1), ['Hardtanh', 'maxVal', 'minVal'], 'Hardtanh');
});

t.run();
