// conv2d / conv1d padding 'same' and 'valid' and unbatched inputs, against PyTorch
// (test/fixtures/conv_padding.json from scripts/fixtures/conv_padding.py): outputs and the
// gradients of input, weight and bias; 'same' with a stride is refused as PyTorch refuses it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, init, tensor, randn } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';

const t = suite('conv-padding');
await init();

interface Case {
  name: string;
  d: number;
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

for (const c of loadFixture<Case>('conv_padding')) {
  t(`${c.name}: output and gradients equal PyTorch's`, () => {
    const x = tensor(c.x.data, c.x.shape, { requiresGrad: true });
    const w = tensor(c.w.data, c.w.shape, { requiresGrad: true });
    const b = tensor(c.b.data, c.b.shape, { requiresGrad: true });
    const fn = c.d === 1 ? F.conv1d : F.conv2d;
    const y = fn(x, w, b, c.opts as never);
    assert.equal([...y.shape], c.y.shape);
    close(y.toFloat32Array(), c.y, `${c.name} y`);
    y.backward(tensor(c.gy.data, c.gy.shape));
    close(x.grad!.toFloat32Array(), c.gx, `${c.name} grad x`);
    close(w.grad!.toFloat32Array(), c.gw, `${c.name} grad w`);
    close(b.grad!.toFloat32Array(), c.gb, `${c.name} grad b`);
  });
}

t('padding same with a stride, or an unknown mode, is refused', () => {
  assert.throws(
    () => F.conv2d(randn([1, 1, 5, 5]), randn([1, 1, 3, 3]), null, { stride: 2, padding: 'same' }),
    /padding='same' is not supported for strided convolutions/
  );
  assert.throws(
    () => F.conv2d(randn([1, 1, 5, 5]), randn([1, 1, 3, 3]), null, { padding: 'full' as never }),
    /padding must be a number, \[h, w\], 'valid' or 'same', got 'full'/
  );
});

t.run();
