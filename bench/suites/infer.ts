// `simdgrad bench --suite infer [--quick] [--models resnet18,small-cnn]` (`npm run bench:infer`):
// inference images/s (eval mode, no graph; one thread) of ResNet-18 at 224x224x3, batch 1 and 8,
// and of the MNIST models at batch 128, against TensorFlow.js wasm (XNNPACK, one thread) on the
// same architectures in the same run. Writes bench/results/infer.json (infer.quick.json with
// --quick: fewer samples, resnet18 batch 1 only) or --json.

import { loadPeers, writeResults, type SuiteOptions } from './common.js';
import type * as TF from '@tensorflow/tfjs';
import { init, manualSeed, noGrad, randn, tensor, tidy } from '../../src/index.js';
import { budget, errorMessage, timeCall, type TimePlan } from '../measure.js';
import { describeMachine, machineInfo } from '../machine.js';
import { fmtRatio, fmtValue, textTable } from '../format.js';
import { tfjs, useBackend } from '../peers/tfjs.js';
import { tfModel } from '../peers/tfjs-models.js';
import { tfResnet18 } from '../peers/tfjs-resnet.js';
import { createModel, inputShape } from '../../src/models/zoo.js';

function plan(quick: boolean): TimePlan {
  return {
    base: quick ? budget(500, 5, 100, 2) : budget(3000, 10, 500, 3),
    slow: quick ? budget(0, 3, 0, 0) : budget(0, 6, 0, 1),
    slowAboveMs: 300,
    probes: 2,
  };
}

interface Row { model: string; batch: number; ours?: number; tfjs?: number; note?: string }

function cases(quick: boolean): [string, number][] {
  return quick
    ? [['resnet18', 1], ['small-cnn', 128], ['lenet5', 128]]
    : [['resnet18', 1], ['resnet18', 8], ['small-cnn', 128], ['lenet5', 128]];
}

/** The models the suite knows (--models picks among them). */
export const INFER_SUITE_MODELS = ['resnet18', 'small-cnn', 'lenet5'] as const;

async function ours(model: string, batch: number, timePlan: TimePlan): Promise<number> {
  manualSeed(1);
  const m = createModel(model).eval();
  const [c, h, w] = inputShape(model);
  const x = randn([batch, c, h, w]).keep();
  const { timing } = await timeCall(`ours ${model} b${batch}`, () => {
    noGrad(() => tidy(() => m.forward(x).data()[0]));
  }, timePlan);
  x.dispose();
  m.dispose();
  return batch / (timing.medianMs / 1000);
}

async function theirs(model: string, batch: number, timePlan: TimePlan): Promise<number> {
  const tf = tfjs();
  const net: TF.LayersModel = model === 'resnet18' ? tfResnet18() : tfModel(model);
  const [c, h, w] = inputShape(model);
  const x = tf.randomNormal([batch, h, w, c]);
  const { timing } = await timeCall(`tfjs-wasm ${model} b${batch}`, () => {
    tf.tidy(() => (net.predict(x) as TF.Tensor).dataSync());
  }, timePlan);
  x.dispose();
  net.dispose();
  return batch / (timing.medianMs / 1000);
}

/** Runs the suite and prints it; the JSON goes to o.json or bench/results/. */
export async function inferSuite(o: SuiteOptions): Promise<void> {
  const { quick } = o;
  const timePlan = plan(quick);
  const started = Date.now();
  const machine = await machineInfo();
  const { build } = await init();
  console.log(`simdgrad inference benchmark ${quick ? '(--quick) ' : ''}${new Date(started).toISOString()}`);
  console.log(`machine: ${describeMachine(machine)}; ${machine.engine}; one thread; ours: ${build} kernels`);
  const info = o.peers.includes('tfjs-wasm') ? await loadPeers(['tfjs-wasm']) : undefined;
  const wasmOk = info?.wasm.ok === true;
  if (wasmOk) await useBackend('wasm');
  const asked = o.peers.includes('tfjs-wasm');
  console.log(!info ? `tfjs-wasm: ${asked ? 'not installed' : 'not in --peers'}`
    : `tfjs ${info.version}: wasm ${wasmOk ? `${info.wasm.binary}, ${info.wasm.threads} thread`
      : `unavailable (${info.wasm.error})`}`);
  const rows: Row[] = [];
  const todo = cases(quick).filter(([m]) => !o.models || o.models.includes(m));
  for (const [model, batch] of todo) {
    const r: Row = { model, batch };
    try {
      r.ours = await ours(model, batch, timePlan);
    } catch (e) {
      r.note = `ours: ${errorMessage(e)}`;
    }
    if (wasmOk) {
      try {
        r.tfjs = await theirs(model, batch, timePlan);
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
  const out = writeResults(o, 'infer', { benchmark: 'simdgrad bench --suite infer', startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000, machine, build, tfjs: info, rows });
  if (out) console.log(`wrote ${out}`);
}
