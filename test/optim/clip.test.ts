// clipGradNorm scales all gradients by maxNorm / norm when the global norm exceeds maxNorm.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, optim, tensor } from '../../src/index.js';

const t = suite('clipGradNorm');
await init();

t('clips to maxNorm and returns the norm before; leaves small gradients alone', () => {
  const a = tensor([0, 0], [2], { requiresGrad: true });
  const b = tensor([0], [1], { requiresGrad: true });
  a.grad = tensor([3, 0], [2]).keep();
  b.grad = tensor([4], [1]).keep();
  const n = optim.clipGradNorm([a, b], 1);
  assert.ok(Math.abs(n - 5) < 1e-6);
  const g = [...a.grad.toFloat32Array(), ...b.grad.toFloat32Array()];
  assert.ok(Math.abs(Math.hypot(...g) - 1) < 1e-5, `norm after ${Math.hypot(...g)}`);
  assert.ok(Math.abs(g[0] / g[2] - 0.75) < 1e-6, 'direction kept');
  const n2 = optim.clipGradNorm([a, b], 10);
  assert.ok(Math.abs(n2 - 1) < 1e-5);
  assert.ok(Math.abs(a.grad.toFloat32Array()[0] - g[0]) < 1e-7, 'unchanged below maxNorm');
  assert.throws(() => optim.clipGradNorm([a], 0), /maxNorm/);
});

t.run();
