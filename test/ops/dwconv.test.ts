// F.conv2d with groups = channels (depthwise, assembly/dwconv.ts): output and the gradients of
// input, weight and bias against PyTorch (test/fixtures/dwconv.json from
// scripts/fixtures/dwconv.py: 3x3/5x5/7x7, stride 1/2), and finite differences (gradcheck).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, type Tensor, gradcheck, init, manualSeed, randn, tensor } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';

const t = suite('dwconv');
await init();

interface Case {
  name: string;
  opts: Record<string, unknown>;
  x: FixtureTensor;
  w: FixtureTensor;
  b: FixtureTensor;
  y: FixtureTensor;
  gy: FixtureTensor;
  gx: FixtureTensor;
  gw: FixtureTensor;
  gb: FixtureTensor;
}

function close(got: Float32Array, want: FixtureTensor, what: string): void {
  assert.is(got.length, want.data.length, `${what}: length`);
  got.forEach((v, i) => {
    const r = want.data[i];
    if (Math.abs(v - r) > 1e-4 * (1 + Math.abs(r)))
      assert.unreachable(`${what}[${i}]: got ${v}, want ${r}`);
  });
}

for (const c of loadFixture<Case>('dwconv')) {
  t(`depthwise ${c.name}: output and gradients equal PyTorch's`, () => {
    const x = tensor(c.x.data, c.x.shape, { requiresGrad: true });
    const w = tensor(c.w.data, c.w.shape, { requiresGrad: true });
    const b = tensor(c.b.data, c.b.shape, { requiresGrad: true });
    const y = F.conv2d(x, w, b, c.opts as never);
    assert.equal([...y.shape], c.y.shape);
    close(y.toFloat32Array(), c.y, `${c.name} y`);
    y.backward(tensor(c.gy.data, c.gy.shape));
    close(x.grad!.toFloat32Array(), c.gx, `${c.name} grad x`);
    close(w.grad!.toFloat32Array(), c.gw, `${c.name} grad w`);
    close(b.grad!.toFloat32Array(), c.gb, `${c.name} grad b`);
  });
}

function leaf(shape: number[], seed: number): Tensor {
  manualSeed(seed);
  const v = randn(shape);
  v.requiresGrad = true;
  return v;
}

const gradCases: [string, number[], number, object][] = [
  ['n=1 c=3 h=9 w=10 k=5 s=2 p=2', [1, 3, 9, 10], 5, { stride: 2, padding: 2 }],
  ['n=2 c=2 h=9 w=8 k=7 s=1 p=3', [2, 2, 9, 8], 7, { padding: 3 }],
  ['n=1 c=2 h=11 w=12 k=7 s=2 p=[3,1]', [1, 2, 11, 12], 7, { stride: 2, padding: [3, 1] }],
  ['n=1 c=3 h=6 w=9 k=3 s=1 p=1', [1, 3, 6, 9], 3, { padding: 1 }],
];
for (const [name, xs, k, opts] of gradCases) {
  t(`depthwise conv2d gradcheck ${name}`, () => {
    const c = xs[1];
    gradcheck(
      (a, w, b) => F.conv2d(a, w, b, { ...opts, groups: c }),
      [leaf(xs, 1), leaf([c, 1, k, k], 2), leaf([c], 3)]
    );
  });
}

t.run();
