// torchvision's MobileNetV2 and EfficientNet-B0 rebuilt in TensorFlow.js (tf.layers functional
// API, NHWC) for the inference benchmark: the layers and trainable parameter counts (3,504,872 and
// 5,288,548) of src/models/mobilenet.ts, random weights. 'same' padding pads stride-2 layers
// asymmetrically (TF's rule) with the same output sizes. Tests: test/bench/tfjs-mobile.test.ts.

import type * as TF from '@tensorflow/tfjs';
import { makeDivisible } from '../../src/models/blocks.js';
import { tfjs } from './tfjs.js';

type Sym = TF.SymbolicTensor;
type Act = 'relu6' | 'silu' | null;

export interface TfMobileOptions {
  /** Input height and width (224; the tests build smaller ones). */
  size?: number;
  numClasses?: number;
}

type MapFn = (x: TF.Tensor) => TF.Tensor;
let mapClass: (new (fn: MapFn) => TF.layers.Layer) | undefined;

/** A layer that applies fn to its input (shape unchanged). */
function mapLayer(fn: MapFn): TF.layers.Layer {
  const tf = tfjs();
  mapClass ??= class MapLayer extends tf.layers.Layer {
    static className = 'MapLayer';
    constructor(readonly fn: MapFn) {
      super({});
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.tidy(() => this.fn(x));
    }
  };
  return new mapClass(fn);
}

// Both as one op each: tf.layers' 'relu6' activation is minimum(6, relu(x)), and its scalar
// minimum alone took 48 of 168 ms of a MobileNetV2 forward on tfjs-wasm (one tf.profile);
// its 'swish' multiplies x by alpha = 1 first, a pass torch's SiLU does not make.
function activate(x: Sym, act: Act): Sym {
  const tf = tfjs();
  if (act === null) return x;
  const layer =
    act === 'silu' ? mapLayer((t) => tf.mul(t, tf.sigmoid(t))) : mapLayer((t) => tf.relu6(t));
  return layer.apply(x) as Sym;
}

/** torchvision's Conv2dNormActivation: conv without bias (depthwise when dw), batch norm,
 * activation. */
function convBnAct(
  x: Sym,
  filters: number,
  kernelSize: number,
  strides: number,
  act: Act,
  dw = false
): Sym {
  const tf = tfjs();
  const conv = dw
    ? tf.layers.depthwiseConv2d({ kernelSize, strides, padding: 'same', useBias: false })
    : tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false });
  const y = tf.layers.batchNormalization({ epsilon: 1e-5 }).apply(conv.apply(x)) as Sym;
  return activate(y, act);
}

function head(x: Sym, numClasses: number): Sym {
  const tf = tfjs();
  const h = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  return tf.layers.dense({ units: numClasses }).apply(h) as Sym;
}

// [expansion t, output channels c, repeats n, first stride s] (torchvision's default).
const V2_SETTING: readonly [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** MobileNetV2: stem, 17 inverted residuals (1x1 expansion, 3x3 depthwise, 1x1 projection, ReLU6
 * between, input added back when the shape allows), 1x1 to 1280, pool, linear. */
export function tfMobileNetV2(opts: TfMobileOptions = {}): TF.LayersModel {
  const tf = tfjs();
  const size = opts.size ?? 224;
  const input = tf.input({ shape: [size, size, 3] });
  let x = convBnAct(input, 32, 3, 2, 'relu6');
  let c = 32;
  for (const [t, out, n, s] of V2_SETTING) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = Math.round(c * t);
      let y = t !== 1 ? convBnAct(x, hidden, 1, 1, 'relu6') : x;
      y = convBnAct(y, hidden, 3, stride, 'relu6', true);
      y = convBnAct(y, out, 1, 1, null);
      x = stride === 1 && c === out ? (tf.layers.add().apply([x, y]) as Sym) : y;
      c = out;
    }
  }
  x = convBnAct(x, 1280, 1, 1, 'relu6');
  return tf.model({ inputs: input, outputs: head(x, opts.numClasses ?? 1000) });
}

// EfficientNet-B0 stages: expansion, kernel, stride, input, output channels, repeats.
const B0_SETTING: readonly [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

/** torchvision's SqueezeExcitation: global average pool, 1x1 conv, SiLU, 1x1 conv, sigmoid,
 * times the input (broadcast over H and W). */
function squeezeExcite(x: Sym, channels: number, squeeze: number): Sym {
  const tf = tfjs();
  let s = tf.layers.globalAveragePooling2d({}).apply(x) as Sym;
  s = tf.layers.reshape({ targetShape: [1, 1, channels] }).apply(s) as Sym;
  s = activate(tf.layers.conv2d({ filters: squeeze, kernelSize: 1 }).apply(s) as Sym, 'silu');
  s = tf.layers.conv2d({ filters: channels, kernelSize: 1, activation: 'sigmoid' }).apply(s) as Sym;
  return tf.layers.multiply().apply([x, s]) as Sym;
}

/** EfficientNet-B0: SiLU stem, 16 MBConv blocks (1x1 expansion, depthwise, squeeze-excitation,
 * 1x1 projection; input added back when the shape allows; stochastic depth is the identity at
 * inference), 1x1 to 1280, pool, linear. */
export function tfEfficientNetB0(opts: TfMobileOptions = {}): TF.LayersModel {
  const tf = tfjs();
  const size = opts.size ?? 224;
  const input = tf.input({ shape: [size, size, 3] });
  let x = convBnAct(input, 32, 3, 2, 'silu');
  for (const [t, k, s, cin, cout, n] of B0_SETTING) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const inC = i === 0 ? cin : cout;
      const expanded = makeDivisible(inC * t, 8);
      let y = expanded !== inC ? convBnAct(x, expanded, 1, 1, 'silu') : x;
      y = convBnAct(y, expanded, k, stride, 'silu', true);
      y = squeezeExcite(y, expanded, Math.max(1, Math.floor(inC / 4)));
      y = convBnAct(y, cout, 1, 1, null);
      x = stride === 1 && inC === cout ? (tf.layers.add().apply([x, y]) as Sym) : y;
    }
  }
  x = convBnAct(x, 1280, 1, 1, 'silu');
  return tf.model({ inputs: input, outputs: head(x, opts.numClasses ?? 1000) });
}

/** Trainable parameters (batch norm's moving statistics are buffers in torch, not parameters). */
export function trainableParams(m: TF.LayersModel): number {
  return m.trainableWeights.reduce(
    (a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1),
    0
  );
}
