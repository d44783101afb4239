// torchvision's ResNet-18 rebuilt in TensorFlow.js (tf.layers functional API, NHWC) for the
// inference benchmark: same layers and parameter count (11,689,512) as src/models/classic.ts.
// 'same' padding pads stride-2 layers asymmetrically (TF's rule), giving the same output sizes.
// Built with the module loadTfjs() imported, or one given (a page's global tf: bench-browser.mjs).

import type * as TF from '@tensorflow/tfjs';
import { tfjs } from './tfjs.js';

type Sym = TF.SymbolicTensor;

function convBn(tf: typeof TF, x: Sym, filters: number, kernelSize: number, strides: number): Sym {
  const y = tf.layers
    .conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false })
    .apply(x) as Sym;
  return tf.layers.batchNormalization({ epsilon: 1e-5 }).apply(y) as Sym;
}

function basicBlock(tf: typeof TF, x: Sym, cin: number, cout: number, stride: number): Sym {
  let y = tf.layers.reLU().apply(convBn(tf, x, cout, 3, stride)) as Sym;
  y = convBn(tf, y, cout, 3, 1);
  const shortcut = stride !== 1 || cin !== cout ? convBn(tf, x, cout, 1, stride) : x;
  return tf.layers.reLU().apply(tf.layers.add().apply([y, shortcut])) as Sym;
}

export function tfResnet18(numClasses = 1000, tf: typeof TF = tfjs()): TF.LayersModel {
  const input = tf.input({ shape: [224, 224, 3] });
  let x = tf.layers.reLU().apply(convBn(tf, input, 64, 7, 2)) as Sym;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as Sym;
  let c = 64;
  for (const [i, w] of [64, 128, 256, 512].entries()) {
    for (let b = 0; b < 2; b++) {
      x = basicBlock(tf, x, c, w, b === 0 && i > 0 ? 2 : 1);
      c = w;
    }
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  x = tf.layers.dense({ units: numClasses }).apply(x) as Sym;
  return tf.model({ inputs: input, outputs: x });
}
