// The TF.js twins of the inference benchmark (bench/peers/tfjs-mobile.ts) have the trainable
// parameter count of our torchvision-keyed models, so that the infer suite compares the same
// work; a tiny 32x32 forward on tfjs-cpu gives finite logits of the right shape.
import type * as TF from '@tensorflow/tfjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createModel, init } from '../../src/index.js';
import { loadTfjs, tfjs } from '../../bench/peers/tfjs.js';
import { tfEfficientNetB0, tfMobileNetV2, trainableParams } from '../../bench/peers/tfjs-mobile.js';

const t = suite('tfjs-mobile');
await init();
await loadTfjs();

const twins = [
  ['mobilenet_v2', tfMobileNetV2, 3_504_872],
  ['efficientnet_b0', tfEfficientNetB0, 5_288_548],
] as const;

for (const [name, build, count] of twins) {
  t(`${name}: the twin's parameters equal ours (${count}), a 32x32 forward gives [2, 1000]`, () => {
    const tf = tfjs();
    const ours = createModel(name);
    const n = ours.numParameters();
    ours.dispose();
    assert.is(n, count);
    const net = build({ size: 32 });
    assert.is(trainableParams(net), count);
    const y = tf.tidy(() => (net.predict(tf.randomNormal([2, 32, 32, 3])) as TF.Tensor).dataSync());
    assert.is(y.length, 2000);
    assert.ok(y.every(Number.isFinite));
    net.dispose();
  });
}

t.run();
