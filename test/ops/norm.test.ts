// BatchNorm (train and eval, running statistics), channels-first LayerNorm, GELU, SiLU,
// Dropout2d, label smoothing and a residual block: against plain references and finite
// differences, both kernel builds where relevant.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  F,
  gradcheck,
  init,
  manualSeed,
  nn,
  noGrad,
  randn,
  tensor,
  type Tensor,
} from '../../src/index.js';
import { expectClose, expectThrows } from '../util.js';

const t = suite('norm');
await init();

function leaf(shape: number[], seed: number, scale = 1, shift = 0): Tensor {
  manualSeed(seed);
  const x = randn(shape);
  const d = x.data();
  for (let i = 0; i < d.length; i++) d[i] = d[i] * scale + shift;
  x.requiresGrad = true;
  return x;
}

/** Plain batch norm reference: per channel over (N, HW), biased variance. */
function bnRef(
  x: Float32Array,
  shape: number[],
  g: Float32Array,
  b: Float32Array,
  eps: number
): { y: Float32Array; mean: number[]; varU: number[] } {
  const [n, c] = shape;
  const hw = x.length / (n * c);
  const y = new Float32Array(x.length);
  const mean: number[] = [];
  const varU: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let p = 0; p < hw; p++) s += x[(i * c + ch) * hw + p];
    const m = s / (n * hw);
    let q = 0;
    for (let i = 0; i < n; i++)
      for (let p = 0; p < hw; p++) q += (x[(i * c + ch) * hw + p] - m) ** 2;
    const v = q / (n * hw);
    mean.push(m);
    varU.push(q / (n * hw - 1));
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < hw; p++) {
        const k = (i * c + ch) * hw + p;
        y[k] = ((x[k] - m) / Math.sqrt(v + eps)) * g[ch] + b[ch];
      }
    }
  }
  return { y, mean, varU };
}

for (const shape of [
  [2, 3, 5, 7],
  [1, 4, 3, 3],
  [5, 2, 1, 1],
  [3, 6, 17, 5],
]) {
  t(`batchNorm train forward + running stats, shape [${shape}]`, () => {
    const bn = new nn.BatchNorm2d(shape[1], { momentum: 0.2 });
    manualSeed(1);
    bn.weight!.data().set(randn([shape[1]]).data());
    bn.bias!.data().set(randn([shape[1]]).data());
    const x = leaf(shape, 2, 3, 1.5);
    const y = bn.forward(x);
    const ref = bnRef(
      x.toFloat32Array(),
      shape,
      bn.weight!.toFloat32Array(),
      bn.bias!.toFloat32Array(),
      1e-5
    );
    expectClose(y.toFloat32Array(), ref.y, 'batchNorm train y', 1e-4);
    expectClose(
      bn.runningMean!.toFloat32Array(),
      ref.mean.map((m) => 0.2 * m),
      'running mean',
      1e-4
    );
    expectClose(
      bn.runningVar!.toFloat32Array(),
      ref.varU.map((v) => 0.8 + 0.2 * v),
      'running var',
      1e-4
    );
  });
}

t('batchNorm eval forward uses the running statistics', () => {
  const bn = new nn.BatchNorm2d(3);
  bn.runningMean!.data().set([0.5, -1, 2]);
  bn.runningVar!.data().set([4, 0.25, 1]);
  bn.weight!.data().set([1, 2, 3]);
  bn.bias!.data().set([0, 1, -1]);
  bn.eval();
  const x = leaf([2, 3, 2, 2], 3);
  const y = bn.forward(x).toFloat32Array();
  const xs = x.toFloat32Array();
  const ref = xs.map((v, i) => {
    const c = Math.floor(i / 4) % 3;
    return (
      ((v - [0.5, -1, 2][c]) / Math.sqrt([4, 0.25, 1][c] + 1e-5)) * [1, 2, 3][c] + [0, 1, -1][c]
    );
  });
  expectClose(y, ref, 'batchNorm eval', 1e-5);
});

t('batchNorm gradcheck: train and eval mode, with and without affine', () => {
  for (const training of [true, false]) {
    const x = leaf([3, 2, 3, 4], 4, 2, 0.5);
    const w = leaf([2], 5, 0.5, 1);
    const b = leaf([2], 6);
    const rm = tensor([0.1, -0.2], [2]);
    const rv = tensor([1.5, 0.7], [2]);
    // running stats must not move between finite-difference evaluations: momentum 0
    gradcheck((a, ww, bb) => F.batchNorm(a, rm, rv, ww, bb, { training, momentum: 0 }), [x, w, b], {
      eps: 1e-2,
      rtol: 2e-2,
    });
    gradcheck(
      (a) => F.batchNorm(a, null, null, null, null, { training: true }),
      [leaf([4, 3, 2, 2], 7)],
      { eps: 1e-2, rtol: 2e-2 }
    );
  }
});

t('layerNorm2d forward against a reference, and gradcheck', () => {
  const shape = [2, 5, 3, 3];
  const x = leaf(shape, 8, 2, 1);
  const w = leaf([5], 9, 0.5, 1);
  const b = leaf([5], 10);
  const y = F.layerNorm2d(x, w, b, 1e-6).toFloat32Array();
  const xs = x.toFloat32Array(),
    ws = w.toFloat32Array(),
    bs = b.toFloat32Array();
  const ref = new Float32Array(xs.length);
  for (let n = 0; n < 2; n++) {
    for (let p = 0; p < 9; p++) {
      let m = 0;
      for (let c = 0; c < 5; c++) m += xs[(n * 5 + c) * 9 + p];
      m /= 5;
      let v = 0;
      for (let c = 0; c < 5; c++) v += (xs[(n * 5 + c) * 9 + p] - m) ** 2;
      v /= 5;
      for (let c = 0; c < 5; c++)
        ref[(n * 5 + c) * 9 + p] =
          ((xs[(n * 5 + c) * 9 + p] - m) / Math.sqrt(v + 1e-6)) * ws[c] + bs[c];
    }
  }
  expectClose(y, ref, 'layerNorm2d', 1e-4);
  gradcheck(
    (a, ww, bb) => F.layerNorm2d(a, ww, bb),
    [leaf([2, 4, 2, 3], 11), leaf([4], 12), leaf([4], 13)],
    { rtol: 2e-2 }
  );
});

t('gelu and silu against closed forms, and gradcheck', () => {
  const x = leaf([3, 7], 14, 2);
  const xs = x.toFloat32Array();
  const erf = (z: number): number => {
    // high-precision series/continued fraction is overkill: use Math via the error function identity
    let s = 0,
      term = z,
      n = 0;
    while (Math.abs(term) > 1e-16 && n < 200) {
      s += term / (2 * n + 1);
      n++;
      term *= (-z * z) / n;
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  };
  expectClose(
    F.gelu(x).toFloat32Array(),
    xs.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    'gelu',
    1e-5
  );
  expectClose(
    F.silu(x).toFloat32Array(),
    xs.map((v) => v / (1 + Math.exp(-v))),
    'silu',
    1e-5
  );
  gradcheck((a) => F.gelu(a), [leaf([2, 5], 15)]);
  gradcheck((a) => F.silu(a), [leaf([2, 5], 16)]);
});

t('dropout2d zeroes whole channels and scales the rest; gradcheck with a fixed seed', () => {
  const x = leaf([8, 16, 3, 3], 17);
  manualSeed(5);
  const y = F.dropout2d(x, 0.5, true).toFloat32Array();
  const xs = x.toFloat32Array();
  let dropped = 0;
  for (let pl = 0; pl < 128; pl++) {
    const ratio = y[pl * 9] / xs[pl * 9];
    const zero = y[pl * 9] === 0;
    if (zero) dropped++;
    for (let i = 0; i < 9; i++) {
      const k = pl * 9 + i;
      if (zero) assert.is(y[k], 0);
      else
        assert.ok(
          Math.abs(y[k] - 2 * xs[k]) <= 1e-6 * Math.abs(xs[k]) + 1e-7,
          `channel ${pl} scaled by ${ratio}`
        );
    }
  }
  assert.ok(dropped > 35 && dropped < 93, `dropped ${dropped} of 128 channels at p=0.5`);
  gradcheck(
    (a) => {
      manualSeed(3);
      return F.dropout2d(a, 0.3, true);
    },
    [leaf([2, 3, 2, 2], 18)]
  );
  expectClose(noGrad(() => F.dropout2d(x, 0.5, false)).toFloat32Array(), xs, 'eval is identity', 0);
});

t('crossEntropy label smoothing: value against the formula, and gradcheck', () => {
  const logits = leaf([4, 5], 19, 2);
  const labels = [0, 3, 4, 1];
  const s = 0.1;
  const l = logits.toFloat32Array();
  let ref = 0;
  for (let i = 0; i < 4; i++) {
    const row = Array.from(l.subarray(i * 5, i * 5 + 5));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    const target = row.map((_, k) => (k === labels[i] ? 1 - s : 0) + s / 5);
    ref += row.reduce((a, v, k) => a - target[k] * (v - lse), 0);
  }
  expectClose(
    [F.crossEntropy(logits, labels, { labelSmoothing: s }).item()],
    [ref / 4],
    'smoothed loss',
    1e-5
  );
  gradcheck((a) => F.crossEntropy(a, labels, { labelSmoothing: s }), [leaf([4, 5], 20)]);
  expectThrows(
    () => F.crossEntropy(logits, labels, { labelSmoothing: 2 }),
    ['labelSmoothing'],
    'bad smoothing'
  );
});

t(
  'a ResNet basic block (conv-BN-ReLU-conv-BN + projection shortcut) matches finite differences end to end',
  () => {
    manualSeed(21);
    const block = new nn.Sequential(
      new nn.Residual(
        new nn.Sequential(
          new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1, bias: false }),
          new nn.BatchNorm2d(4, { momentum: 0 }),
          new nn.ReLU(),
          new nn.Conv2d(4, 4, 3, { padding: 1, bias: false }),
          new nn.BatchNorm2d(4, { momentum: 0 })
        ),
        new nn.Sequential(
          new nn.Conv2d(3, 4, 1, { stride: 2, bias: false }),
          new nn.BatchNorm2d(4, { momentum: 0 })
        )
      ),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Linear(4, 3)
    );
    const x = leaf([4, 3, 6, 6], 22);
    gradcheck(
      (...ps) => F.crossEntropy(block.forward(ps[ps.length - 1]), [0, 2, 1, 2]),
      [...block.parameters(), x],
      { eps: 1e-3, rtol: 3e-2 }
    );
  }
);

t('batchNorm errors name the argument', () => {
  expectThrows(
    () => F.batchNorm(randn([2, 3, 4, 4]), null, null, randn([4])),
    ['batchNorm', 'weight', '3 values'],
    'weight size'
  );
  expectThrows(
    () => F.batchNorm(randn([1, 3, 1, 1]), null, null, null, null, { training: true }),
    ['more than 1 value per channel'],
    'one value'
  );
});

t.run();
