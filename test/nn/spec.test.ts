// Layer specs (src/nn/spec.ts, src/models/spec.ts): every zoo model and a hand-built Sequential
// serialise to JSON that rebuilds the same parameter names and shapes and, with the state dict
// loaded, the same outputs; a custom class or a subclass of a layer has no spec; bad specs fail
// naming the place.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildModel,
  createModel,
  init,
  manualSeed,
  modelSpec,
  models,
  nn,
  noGrad,
  rand,
  type Tensor,
} from '../../src/index.js';
import { buildModule, layerTypes, moduleSpec } from '../../src/nn/spec.js';
import { inputShape } from '../../src/models/zoo.js';

const t = suite('spec');
await init();

const shapes = (m: nn.Module): string =>
  [...m.namedParameters(), ...m.namedBuffers()]
    .map(([n, p]) => `${n}:${p.shape.join('x')}`)
    .join(' ');

t('every zoo model: a layer spec survives JSON and rebuilds the same names and shapes', () => {
  for (const name of Object.keys(models)) {
    // torchvision's classes (src/models/torchvision.ts) have no layer spec: rebuilt by zoo name.
    if (inputShape(name)[0] === 3) continue;
    const m = createModel(name);
    assert.equal(modelSpec(m), { zoo: name }, name);
    const spec = moduleSpec(m);
    assert.ok(spec && spec.type === 'Sequential', `${name}: no layer spec`);
    const again = buildModule(JSON.parse(JSON.stringify(spec)));
    assert.is(shapes(again), shapes(m), name);
    assert.equal(moduleSpec(again), spec, `${name}: spec of the rebuilt model`);
    m.dispose();
    again.dispose();
  }
});

t('a hand-built Sequential (options, tuples, nested Residual) rebuilds with equal outputs', () => {
  manualSeed(3);
  const m = new nn.Sequential(
    new nn.Conv2d(2, 4, [3, 1], { padding: [1, 0], bias: false }),
    new nn.BatchNorm2d(4, { momentum: 0.2 }),
    new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 4, 1), new nn.GELU())),
    new nn.MaxPool2d(2, { stride: 1 }),
    new nn.AdaptiveAvgPool2d([2, 3]),
    new nn.Flatten(),
    new nn.Dropout(0.3),
    new nn.Linear(24, 5)
  );
  const spec = modelSpec(m)!;
  assert.is((spec as { type: string }).type, 'Sequential');
  const again = buildModel(JSON.parse(JSON.stringify(spec)));
  again.loadStateDict(m.stateDict());
  const x = rand([2, 2, 5, 7]);
  m.eval();
  again.eval();
  const a = noGrad(() => m.forward(x)).toFloat32Array();
  const b = noGrad(() => again.forward(x)).toFloat32Array();
  assert.equal(Array.from(b), Array.from(a));
});

t('custom classes and subclasses of layers have no spec; a wrapped custom class spoils it', () => {
  class Net extends nn.Module {
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  class MyLinear extends nn.Linear {}
  assert.is(modelSpec(new Net()), null);
  assert.is(modelSpec(new MyLinear(2, 3)), null);
  assert.is(modelSpec(new nn.Sequential(new nn.ReLU(), new Net())), null);
  assert.ok(modelSpec(new nn.Sequential(new nn.ReLU())));
});

t('bad specs fail naming the place and the known types', () => {
  assert.throws(
    () => buildModule({ type: 'Nope', args: [] }),
    /unknown layer type 'Nope'; known: .*Conv2d/
  );
  assert.throws(
    () => buildModule({ type: 'Sequential', args: [{ module: { type: 'Bad', args: [] } }] }),
    /spec\.Sequential\.args\[0\] names unknown layer type 'Bad'/
  );
  assert.throws(() => buildModule({ args: [] } as never), /not a layer spec/);
  assert.ok(layerTypes().includes('BatchNorm2d'));
});

t(
  'every layer nn exports (but the containers) has a spec type; a Sequential of them round-trips',
  () => {
    const containers = ['Module', 'ModuleList', 'ModuleDict', 'Parameter'];
    const missing = Object.entries(nn)
      .filter(
        ([name, cls]) =>
          typeof cls === 'function' && !containers.includes(name) && !layerTypes().includes(name)
      )
      .map(([name]) => name);
    assert.equal(missing, []);
    const m = new nn.Sequential(
      new nn.Conv1d(2, 4, 3, { padding: 1 }),
      new nn.LeakyReLU(0.2),
      new nn.GroupNorm(2, 4),
      new nn.MaxPool1d(2),
      new nn.Flatten(),
      new nn.LayerNorm(12),
      new nn.Linear(12, 5),
      new nn.Softmax(-1)
    );
    const again = buildModule(JSON.parse(JSON.stringify(modelSpec(m))));
    assert.equal(
      Object.entries(again.stateDict()).map(([k, v]) => [k, v.shape]),
      Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape])
    );
    assert.ok(
      modelSpec(
        new nn.Sequential(
          new nn.ConvTranspose2d(2, 3, 4, { stride: 2 }),
          new nn.Upsample({ scaleFactor: 2, mode: 'nearest' }),
          new nn.BatchNorm1d(3),
          new nn.Embedding(5, 2),
          new nn.MSELoss(),
          new nn.Hardtanh(-2, 2),
          new nn.Softplus(2),
          new nn.AdaptiveMaxPool2d(3)
        )
      )
    );
  }
);

t.run();
