// The zoo's architectures: parameter counts equal the published ones (torchvision's models are
// counted, with their keys, in test/models/torchvision.test.ts), and a forward (and backward)
// pass at each model's input size gives the right shape and finite gradients.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, init, manualSeed, noGrad, randn, tidy } from '../../src/index.js';
import { createModel, inputShape } from '../../src/models/zoo.js';

const t = suite('architectures');
await init();

const published: [string, number][] = [
  ['small-cnn', 1_199_882],
  ['lenet5', 61_706],
  ['mlp', 636_010],
  ['logistic', 7_850],
];
for (const [name, count] of published) {
  t(`${name} has ${count.toLocaleString('en-US')} parameters (torchvision / published)`, () => {
    manualSeed(1);
    const m = createModel(name);
    assert.is(m.numParameters(), count);
    m.dispose();
  });
}

// vgg11's forward at 224x224 is compared with torchvision's in test/models/torchvision.test.ts.
for (const [name, backward] of [
  ['resnet18', true],
  ['alexnet', true],
  ['resnet-mini', true],
  ['convnext-mini', true],
] as const) {
  t(`${name}: ${backward ? 'forward + backward' : 'forward'} at its input size, batch 1`, () => {
    manualSeed(2);
    const m = createModel(name);
    const [c, h, w] = inputShape(name);
    const classes = name.endsWith('-mini') ? 10 : 1000;
    tidy(() => {
      const x = randn([1, c, h, w]);
      if (backward) {
        const loss = F.crossEntropy(m.forward(x), [3]);
        assert.ok(Number.isFinite(loss.item()));
        loss.backward();
        for (const [pn, p] of m.namedParameters()) {
          assert.ok(p.grad, `${pn} has no gradient`);
          assert.ok(p.grad!.data().every(Number.isFinite), `${pn} gradient not finite`);
        }
      } else {
        m.eval();
        const y = noGrad(() => m.forward(x));
        assert.equal([...y.shape], [1, classes]);
        assert.ok(y.data().every(Number.isFinite));
      }
    });
    m.dispose();
  });
}

t.run();
