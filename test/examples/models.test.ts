// The example models (examples/unet.ts, examples/tiny-vit.ts) against their PyTorch 1.13 twins
// at toy sizes (test/fixtures/example_models.json from scripts/fixtures/example_models.py):
// state-dict keys in order, the forward, and the gradients of every parameter and of the input.
// Checks the composed ops end to end: cat skip connections, transposed conv, upsampling, 5-D
// permute, chunk, batched matmul, softmax, layerNorm over tokens, position-embedding broadcast.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, type nn, tensor, tidy, type Tensor } from '../../src/index.js';
import { TinyViT, type TinyViTOptions } from '../../examples/tiny-vit.js';
import { UNet } from '../../examples/unet.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';
import { expectClose } from '../util.js';

const t = suite('example models vs PyTorch');
await init();

interface Case {
  name: string;
  args: number[] | TinyViTOptions;
  stateDict: Record<string, FixtureTensor>;
  x: FixtureTensor;
  r: FixtureTensor;
  y: FixtureTensor;
  gx: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

function build(c: Case): nn.Module {
  return c.name.startsWith('UNet')
    ? new UNet(...(c.args as number[]))
    : new TinyViT(c.args as TinyViTOptions);
}

for (const c of loadFixture<Case>('example_models')) {
  t(c.name, () => {
    const model = build(c);
    assert.equal(Object.keys(model.stateDict()), Object.keys(c.stateDict), 'state-dict keys');
    model.loadStateDict(c.stateDict);
    tidy(() => {
      const x = tensor(c.x.data, c.x.shape, { requiresGrad: true });
      const y = model.forward(x) as Tensor;
      assert.equal(y.shape, c.y.shape, 'output shape');
      expectClose(y.toFloat32Array(), c.y.data, `${c.name} forward`, 1e-4);
      y.mul(tensor(c.r.data, c.r.shape)).sum().backward();
      expectClose(x.grad!.toFloat32Array(), c.gx.data, `${c.name} grad input`, 1e-3);
      for (const [name, p] of model.namedParameters()) {
        expectClose(p.grad!.toFloat32Array(), c.grads[name].data, `${c.name} grad ${name}`, 1e-3);
      }
    });
  });
}

t.run();
