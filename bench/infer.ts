// `npm run bench:infer`: inference images/s (eval mode, no graph; one thread) of ResNet-18 at
// 224x224x3, batch 1 and 8, and of the MNIST models at batch 128, against TensorFlow.js wasm
// (XNNPACK, one thread) on the same architectures in the same run. Writes
// bench/results/infer.json. Flags: --quick (fewer samples, resnet18 batch 1 only).

import { writeResults } from './results-path.js';
import type * as TF from '@tensorflow/tfjs';
import { init, manualSeed, noGrad, randn, tensor, tidy } from '../src/index.js';
import { budget, errorMessage, timeCall, type TimePlan } from '../src/bench/measure.js';
import { describeMachine, machineInfo } from '../src/bench/machine.js';
import { fmtRatio, fmtValue, textTable } from '../src/bench/format.js';
import { loadTfjs, tfjs, useBackend } from '../src/bench/peers/tfjs.js';
import { tfModel } from '../src/bench/peers/tfjs-models.js';
import { tfResnet18 } from '../src/bench/peers/tfjs-resnet.js';
import { createModel, inputShape } from '../src/models/zoo.js';

const QUICK = process.argv.includes('--quick');
const PLAN: TimePlan = {
  base: QUICK ? budget(500, 5, 100, 2) : budget(3000, 10, 500, 3),
  slow: QUICK ? budget(0, 3, 0, 0) : budget(0, 6, 0, 1),
  slowAboveMs: 300,
  probes: 2,
};

interface Row { model: string; batch: number; ours?: number; tfjs?: number; note?: string }

const CASES: [string, number][] = QUICK
  ? [['resnet18', 1], ['small-cnn', 128], ['lenet5', 128]]
  : [['resnet18', 1], ['resnet18', 8], ['small-cnn', 128], ['lenet5', 128]];

async function ours(model: string, batch: number): Promise<number> {
  manualSeed(1);
  const m = createModel(model).eval();
  const [c, h, w] = inputShape(model);
  const x = randn([batch, c, h, w]).keep();
  const { timing } = await timeCall(`ours ${model} b${batch}`, () => {
    noGrad(() => tidy(() => m.forward(x).data()[0]));
  }, PLAN);
  x.dispose();
  m.dispose();
  return batch / (timing.medianMs / 1000);
}

async function theirs(model: string, batch: number): Promise<number> {
  const tf = tfjs();
  const net: TF.LayersModel = model === 'resnet18' ? tfResnet18() : tfModel(model);
  const [c, h, w] = inputShape(model);
  const x = tf.randomNormal([batch, h, w, c]);
  const { timing } = await timeCall(`tfjs-wasm ${model} b${batch}`, () => {
    tf.tidy(() => (net.predict(x) as TF.Tensor).dataSync());
  }, PLAN);
  x.dispose();
  net.dispose();
  return batch / (timing.medianMs / 1000);
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = await machineInfo();
  const { build } = await init();
  console.log(`simdgrad inference benchmark ${QUICK ? '(--quick) ' : ''}${new Date(started).toISOString()}`);
  console.log(`machine: ${describeMachine(machine)}; ${machine.engine}; one thread; ours: ${build} kernels`);
  const info = await loadTfjs({ wasm: true });
  if (info.wasm.ok) await useBackend('wasm');
  console.log(`tfjs ${info.version}: wasm ${info.wasm.ok ? `${info.wasm.binary}, ${info.wasm.threads} thread` : `unavailable (${info.wasm.error})`}`);
  const rows: Row[] = [];
  for (const [model, batch] of CASES) {
    const r: Row = { model, batch };
    try {
      r.ours = await ours(model, batch);
    } catch (e) {
      r.note = `ours: ${errorMessage(e)}`;
    }
    if (info.wasm.ok) {
      try {
        r.tfjs = await theirs(model, batch);
      } catch (e) {
        r.note = `${r.note ?? ''} tfjs: ${errorMessage(e)}`.trim();
      }
    }
    process.stderr.write(`  .. ${model} b${batch}: ours ${fmtValue(r.ours)} img/s, tfjs-wasm ${fmtValue(r.tfjs)} img/s\n`);
    rows.push(r);
  }
  console.log(textTable([['model', 'input', 'batch', 'ours img/s', 'tfjs-wasm img/s', 'ours / tfjs-wasm'],
    ...rows.map((r) => [r.model, inputShape(r.model).join('x'), String(r.batch), fmtValue(r.ours), fmtValue(r.tfjs),
      r.ours && r.tfjs ? fmtRatio(r.ours / r.tfjs) : (r.note ?? '')])], 3));
  const out = writeResults(undefined, 'infer', QUICK, { benchmark: 'bench/infer.ts', startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000, machine, build, tfjs: info, rows });
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
