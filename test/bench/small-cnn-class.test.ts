// The bench's small CNN written as a custom class (bench/small-cnn-class.ts) is the zoo's
// small-cnn: same parameter shapes in the same order, and with the same values the same logits
// (eval mode) and the same dropout masks (train mode, same seed).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createModel, init, manualSeed, noGrad, rand } from '../../src/index.js';
import { SmallCnn } from '../../bench/small-cnn-class.js';

const t = suite('small-cnn-class');
await init();

t("SmallCnn equals createModel('small-cnn') given the same parameters", () => {
  const zoo = createModel('small-cnn');
  const net = new SmallCnn();
  const a = zoo.parameters();
  const b = net.parameters();
  assert.equal(
    b.map((p) => p.shape),
    a.map((p) => p.shape)
  );
  b.forEach((p, i) => p.data().set(a[i].data()));
  const x = rand([2, 1, 28, 28]);
  for (const training of [false, true]) {
    zoo.train(training);
    net.train(training);
    manualSeed(4);
    const y0 = noGrad(() => zoo.forward(x)).toFloat32Array();
    manualSeed(4);
    const y1 = noGrad(() => net.forward(x)).toFloat32Array();
    assert.equal(Array.from(y1), Array.from(y0), `training=${training}`);
  }
});

t.run();
