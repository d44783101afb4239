// The layer ops of the other CNN families and the losses against PyTorch 1.13
// (test/fixtures/nnops.json from scripts/fixtures/nnops.py): forward, and the gradient of every
// float input for a random upstream gradient; batch norm 1d also its running statistics.
import { suite } from 'uvu';
import { F, type Tensor, init, tensor, tidy } from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';
import { expectClose } from '../util.js';

const t = suite('nnops vs PyTorch');
await init();

interface Case {
  op: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each op's fixture holds its own option types
  args: Record<string, any>;
  inputs: Record<string, FixtureTensor>;
  out: FixtureTensor;
  gy: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  extra: Record<string, FixtureTensor>;
}

type In = Record<string, Tensor>;

/** The fixture's None as undefined. */
function opt<T>(v: T | null): T | undefined {
  return v === null ? undefined : v;
}

const run: Record<string, (c: Case, x: In) => Tensor | [Tensor, In]> = {
  convTranspose2d: (c, i) => F.convTranspose2d(i.x, i.w, i.b ?? null, c.args),
  conv1d: (c, i) => F.conv1d(i.x, i.w, i.b ?? null, c.args),
  maxPool1d: (c, i) =>
    F.maxPool1d(i.x, {
      kernelSize: c.args.kernelSize,
      stride: opt(c.args.stride),
      padding: c.args.padding,
    }),
  avgPool1d: (c, i) =>
    F.avgPool1d(i.x, {
      kernelSize: c.args.kernelSize,
      stride: opt(c.args.stride),
      padding: c.args.padding,
      countIncludePad: c.args.countIncludePad,
    }),
  adaptiveAvgPool2d: (c, i) => F.adaptiveAvgPool2d(i.x, c.args.outputSize),
  adaptiveMaxPool2d: (c, i) => F.adaptiveMaxPool2d(i.x, c.args.outputSize),
  interpolate: (c, i) =>
    F.interpolate(i.x, {
      mode: c.args.mode,
      size: opt(c.args.size),
      scaleFactor: opt(c.args.scaleFactor),
      alignCorners: opt(c.args.alignCorners),
      recomputeScaleFactor: opt(c.args.recomputeScaleFactor),
    }),
  layerNorm: (c, i) =>
    F.layerNorm(i.x, c.args.normalizedShape, i.w ?? null, i.b ?? null, c.args.eps),
  groupNorm: (c, i) => F.groupNorm(i.x, c.args.numGroups, i.w ?? null, i.b ?? null, c.args.eps),
  batchNorm1d: (c, i) => {
    const rm = tensor(c.args.runningMean0.data, c.args.runningMean0.shape);
    const rv = tensor(c.args.runningVar0.data, c.args.runningVar0.shape);
    const y = F.batchNorm(i.x, rm, rv, i.w, i.b, {
      training: c.args.training,
      momentum: 0.1,
      eps: 1e-5,
    });
    return [y, { runningMean: rm, runningVar: rv }];
  },
  embedding: (c, i) => {
    const flat = (c.args.indices as unknown[]).flat(4) as number[];
    const idx =
      c.args.indicesShape.length === 1 ? new Int32Array(flat) : tensor(flat, c.args.indicesShape);
    return F.embedding(idx, i.w, { paddingIdx: opt(c.args.paddingIdx) });
  },
  mseLoss: (c, i) => F.mseLoss(i.x, i.t, { reduction: c.args.reduction }),
  l1Loss: (c, i) => F.l1Loss(i.x, i.t, { reduction: c.args.reduction }),
  smoothL1Loss: (c, i) =>
    F.smoothL1Loss(i.x, i.t, { reduction: c.args.reduction, beta: c.args.beta }),
  binaryCrossEntropy: (c, i) =>
    F.binaryCrossEntropy(i.x, i.t, { reduction: c.args.reduction, weight: i.weight }),
  binaryCrossEntropyWithLogits: (c, i) =>
    F.binaryCrossEntropyWithLogits(i.x, i.t, {
      reduction: c.args.reduction,
      weight: i.weight,
      posWeight: i.posWeight,
    }),
  nllLoss: (c, i) =>
    F.nllLoss(i.x, targets(c), {
      reduction: c.args.reduction,
      weight: i.weight,
      ignoreIndex: c.args.ignoreIndex,
    }),
  crossEntropy: (c, i) =>
    F.crossEntropy(i.x, targets(c), {
      reduction: c.args.reduction,
      weight: i.weight,
      ignoreIndex: c.args.ignoreIndex,
      labelSmoothing: c.args.labelSmoothing,
    }),
  crossEntropyProb: (c, i) =>
    F.crossEntropy(i.x, i.t, {
      reduction: c.args.reduction,
      weight: i.weight,
      labelSmoothing: c.args.labelSmoothing,
    }),
};

/** Class targets as PyTorch's: a plain Int32Array for [N], a float tensor for other shapes. */
function targets(c: Case): Int32Array | Tensor {
  const flat = [c.args.target].flat(4) as number[];
  if (c.args.targetShape.length === 1) return new Int32Array(flat);
  return tensor(flat, c.args.targetShape);
}

const cases = loadFixture<Case>('nnops');
for (const c of cases) {
  t(`${c.op} ${c.name}`, () => {
    tidy(() => {
      const inputs: In = {};
      for (const [k, v] of Object.entries(c.inputs)) {
        inputs[k] = tensor(v.data, v.shape, { requiresGrad: k in c.grads });
      }
      const r = run[c.op](c, inputs);
      const [out, extra] = Array.isArray(r) ? r : [r, {} as In];
      const label = `${c.op} ${c.name}`;
      if (out.shape.join() !== c.out.shape.join()) {
        throw new Error(`${label}: shape [${out.shape}] != PyTorch [${c.out.shape}]`);
      }
      expectClose(out.toFloat32Array(), c.out.data, `${label} forward`, 2e-5);
      for (const [k, v] of Object.entries(c.extra))
        expectClose(extra[k].toFloat32Array(), v.data, `${label} ${k}`, 2e-5);
      out.backward(tensor(c.gy.data, c.gy.shape));
      for (const [k, g] of Object.entries(c.grads)) {
        const got = inputs[k].grad;
        if (!got) throw new Error(`${label}: no gradient for ${k}`);
        expectClose(got.toFloat32Array(), g.data, `${label} grad ${k}`, 1e-4);
        got.dispose();
      }
    });
  });
}

t.run();
