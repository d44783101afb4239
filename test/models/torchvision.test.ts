// torchvision's architectures (src/models/torchvision.ts) against torchvision 0.14, from
// test/fixtures/torchvision.json (scripts/fixtures/interop.py): state-dict keys in order with
// shapes and dtypes, parameter counts, eval outputs of alexnet/vgg11 with hash-filled weights,
// and seeded torchvision resnet18, mobilenet_v2, mobilenet_v3_small and efficientnet_b0 saved as
// safetensors, loaded by loadModel (strict), giving torchvision's eval outputs within 1e-4.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  F,
  createModel,
  init,
  loadModel,
  manualSeed,
  noGrad,
  parseSafetensors,
  randn,
  serializeSafetensors,
  tensor,
  tidy,
  torchvision,
} from '../../src/index.js';
import type { Module } from '../../src/nn/module.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';
import { expectClose } from '../util.js';

const t = suite('torchvision');
await init();

interface Case {
  name: string;
  params?: number;
  stateDict?: [string, number[], string][];
  model?: string;
  file?: string;
  inputShape?: number[];
  output?: FixtureTensor;
}
const cases = loadFixture<Case>('torchvision');
const byName = (name: string): Case => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`torchvision.json has no case '${name}'`);
  return c;
};

/** hash_fill of scripts/fixtures/interop.py: fmix32((i + (k+1) * 0x9e3779b9) mod 2^32) / 2^32
 * - 0.5, times scale, rounded to f32. */
function hashFill(out: Float32Array, k: number, scale: number): void {
  const base = Math.imul(k + 1, 0x9e3779b9) >>> 0;
  for (let i = 0; i < out.length; i++) {
    let h = (i + base) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = ((h >>> 0) / 4294967296 - 0.5) * scale;
  }
}

/** hash_state of the generator: float entry k of the state dict filled with hashFill. */
function hashState(model: Module): void {
  model.namedState().forEach(([, p], k) => {
    const scale = p.shape.length > 1 ? 2 * Math.sqrt(6 / (p.size / p.shape[0])) : 0.2;
    hashFill(p.rawData(), k, scale);
  });
}

function hashInput(shape: number[]): Float32Array {
  const x = new Float32Array(shape.reduce((a, b) => a * b, 1));
  hashFill(x, 1000, 2);
  return x;
}

function expectKeys(model: Module, c: Case): void {
  const got = Object.entries(model.stateDict()).map(([k, v]) => [k, v.shape, v.dtype ?? 'F32']);
  const want = c.stateDict!;
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    assert.equal(got[i], want[i], `${c.name}: state-dict entry ${i}`);
  }
  assert.is(model.numParameters(), c.params, `${c.name}: parameter count`);
}

// Each model is built once (VGG's 133M parameters take seconds to initialise).
const builders: [string, () => Module][] = [
  ['resnet18', () => createModel('resnet18')],
  ['resnet18 numClasses=10', () => torchvision.resnet18({ numClasses: 10 })],
  ['resnet34', () => torchvision.resnet34()],
  ['vgg16', () => createModel('vgg16')],
  ['mobilenet_v2', () => createModel('mobilenet_v2')],
  ['mobilenet_v3_small', () => createModel('mobilenet_v3_small')],
  ['mobilenet_v3_large', () => torchvision.mobilenetV3Large()],
  ['efficientnet_b0', () => createModel('efficientnet_b0')],
];
for (const [name, build] of builders) {
  t(`${name}: torchvision's state-dict keys, shapes, dtypes and parameter count`, () => {
    const m = build();
    try {
      expectKeys(m, byName(name));
    } finally {
      m.dispose();
    }
  });
}

for (const name of ['alexnet', 'vgg11']) {
  const c = byName(`${name} hash-filled forward`);
  t(
    `${name}: torchvision's keys and count; eval output with hash-filled weights, input ` +
      `[${c.inputShape}], vs torchvision`,
    () => {
      const m = createModel(name);
      try {
        expectKeys(m, byName(name));
        hashState(m);
        m.eval();
        const x = hashInput(c.inputShape!);
        const y = noGrad(() => tidy(() => m.forward(tensor(x, c.inputShape!)).toFloat32Array()));
        assert.equal([c.inputShape![0], 1000], c.output!.shape);
        expectClose(y, c.output!.data, `${name} eval output`, 1e-4);
      } finally {
        m.dispose();
      }
    }
  );
}

for (const name of ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0']) {
  const c = byName(`${name} weights`);
  t(
    `${name} saved by torchvision: loadModel (strict) gives torchvision's eval output, input ` +
      `[${c.inputShape}]`,
    async () => {
      const bytes = gunzipSync(
        new Uint8Array(readFileSync(new URL(`../../../test/fixtures/${c.file!}`, import.meta.url)))
      );
      const model = await loadModel(new Uint8Array(bytes), name);
      try {
        assert.is(model.training, false);
        const x = hashInput(c.inputShape!);
        const y = noGrad(() =>
          tidy(() => model.forward(tensor(x, c.inputShape!)).toFloat32Array())
        );
        expectClose(y, c.output!.data, `${name} eval output vs torchvision`, 1e-4);
        // Saved back: torchvision's keys, F32 weights, num_batches_tracked as I64 with its count.
        const back = parseSafetensors(serializeSafetensors(model.stateDict())).tensors;
        const keys = byName(name).stateDict!;
        assert.equal(Object.keys(back).sort(), keys.map(([k]) => k).sort());
        for (const [k, shape, dtype] of keys) {
          assert.is(back[k].dtype, dtype === 'I64' ? 'I64' : 'F32', k);
          assert.equal(back[k].shape, shape, k);
          if (dtype === 'I64') assert.equal([...back[k].data], [3], k);
        }
      } finally {
        model.dispose();
      }
    }
  );
}

for (const name of ['mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0']) {
  t(
    `${name}: train-mode forward + backward at [2,3,64,64] gives every parameter a finite gradient`,
    () => {
      manualSeed(7);
      const m = createModel(name);
      try {
        tidy(() => {
          const loss = F.crossEntropy(m.forward(randn([2, 3, 64, 64])), [1, 998]);
          assert.ok(Number.isFinite(loss.item()));
          loss.backward();
          for (const [pn, p] of m.namedParameters()) {
            assert.ok(p.grad, `${pn} has no gradient`);
            assert.ok(p.grad!.data().every(Number.isFinite), `${pn} gradient not finite`);
          }
        });
        const nbt = m.stateDict()['features.0.1.num_batches_tracked'];
        assert.equal([...nbt.data], [1]);
      } finally {
        m.dispose();
      }
    }
  );
}

t('StochasticDepth: identity in eval; in training each sample kept x1/(1-p) or zeroed', () => {
  manualSeed(3);
  const sd = new torchvision.StochasticDepth(0.5);
  const x = tensor(
    Float32Array.from({ length: 64 * 6 }, (_, i) => 1 + (i % 7)),
    [64, 2, 3]
  );
  const y = tidy(() => sd.forward(x).toFloat32Array());
  let kept = 0;
  for (let n = 0; n < 64; n++) {
    const row = y.subarray(n * 6, n * 6 + 6);
    const src = x.data().subarray(n * 6, n * 6 + 6);
    const k = row[0] !== 0;
    if (k) kept++;
    row.forEach((v, i) => assert.is(v, k ? 2 * src[i] : 0, `sample ${n} element ${i}`));
  }
  assert.ok(kept > 16 && kept < 48, `kept ${kept} of 64`);
  sd.eval();
  assert.is(sd.forward(x), x);
  assert.throws(
    () => new torchvision.StochasticDepth(1.5),
    /StochasticDepth: p must be in \[0, 1\], got 1.5/
  );
});

t("makeDivisible is torchvision's _make_divisible", () => {
  const cases: [number, number, number][] = [
    [32, 8, 32],
    [24.5, 8, 24],
    [20, 8, 24],
    [3, 8, 8],
    [100 * 0.75, 8, 72],
    [60, 16, 64],
    [35, 8, 32],
    [36, 8, 40],
    [12, 8, 16],
  ];
  for (const [v, d, want] of cases) assert.is(torchvision.makeDivisible(v, d), want, `${v}, ${d}`);
});

t('numClasses and dropout are checked', () => {
  assert.throws(
    () => torchvision.resnet18({ numClasses: 0 }),
    /ResNet: numClasses must be a positive integer, got 0/
  );
  assert.throws(() => torchvision.vgg11({ numClasses: 2.5 }), /VGG: numClasses/);
  assert.throws(
    () => torchvision.alexnet({ dropout: 2 }),
    /nn.Dropout: p must be in \[0, 1\], got 2/
  );
});

t.run();
