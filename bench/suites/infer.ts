// `simdgrad bench --suite infer [--quick] [--models resnet18,small-cnn] [--peers ...]`
// (`npm run bench:infer`): inference images/s (eval mode, no graph; one thread) of ResNet-18,
// MobileNetV2 and EfficientNet-B0 at 224x224x3, batch 1 and 8, and of the MNIST models at batch
// 128, against TensorFlow.js wasm (XNNPACK, one thread) on the same architectures (random
// weights) and ONNX Runtime Web (wasm SIMD, one thread) on our own ONNX export of the same model
// (checked to give our output first: bench/peers/ort-web.ts), in the same run, with the issue's
// target checks. Writes bench/results/infer.json (infer.quick.json with --quick: fewer samples,
// the 224x224 models at batch 1 only) or --json; a run of some --models keeps the other models'
// rows there.
// ResNet-18 at batch 1 also runs with setNumThreads(2) (intra-op threads: each GEMM and conv
// split across two threads), reported as img/s and its ratio to one thread (target >= 1.7x).

import { loadavg } from 'node:os';
import { loadPeers, readResults, writeResults, type SuiteOptions } from './common.js';
import type * as TF from '@tensorflow/tfjs';
import { init, manualSeed, noGrad, randn, setNumThreads, tidy } from '../../src/index.js';
import { budget, errorMessage, timeCall, type TimePlan } from '../measure.js';
import { describeMachine, machineInfo } from '../machine.js';
import { fmtRatio, fmtValue, textTable } from '../format.js';
import { tfjs, useBackend } from '../peers/tfjs.js';
import { tfModel } from '../peers/tfjs-models.js';
import { tfResnet18 } from '../peers/tfjs-resnet.js';
import { tfEfficientNetB0, tfMobileNetV2 } from '../peers/tfjs-mobile.js';
import { loadOrtWeb, ortStepper, type OrtWebInfo } from '../peers/ort-web.js';
import { NotInstalledError } from '../peers/tfjs.js';
import { createModel, inputShape } from '../../src/models/zoo.js';

function plan(quick: boolean): TimePlan {
  return {
    base: quick ? budget(500, 5, 100, 2) : budget(3000, 10, 500, 3),
    slow: quick ? budget(0, 3, 0, 0) : budget(0, 6, 0, 1),
    slowAboveMs: 300,
    probes: 2,
  };
}

export interface Row {
  model: string;
  batch: number;
  ours?: number;
  tfjs?: number;
  note?: string;
  /** ONNX Runtime Web img/s, and max |its output - ours| / max |ours| checked before timing. */
  ort?: number;
  ortAgreement?: number;
  /** img/s with setNumThreads(2) (ResNet-18 batch 1 only), and its ratio to ours. */
  ours2Threads?: number;
  threadsRatio?: number;
  /** When and on which CPU the row was measured, and the load average then (rows kept from an
   * earlier run of other --models carry theirs). */
  measuredAt?: string;
  cpuId?: string;
  loadAvg?: number[];
}

/** This run's rows, then those of models it did not run from the file it replaces, in the
 * suite's order. */
export function mergeRows(rows: Row[], previous: unknown, quick: boolean): Row[] {
  const prev = previous as {
    startedAt?: string;
    machine?: { cpuId?: string; loadAvg?: number[] };
    rows?: Row[];
  };
  if (!Array.isArray(prev?.rows)) return rows;
  const ran = new Set(rows.map((r) => r.model));
  const kept = prev.rows
    .filter((r) => typeof r?.model === 'string' && !ran.has(r.model))
    .map((r) => ({
      ...r,
      measuredAt: r.measuredAt ?? prev.startedAt,
      cpuId: r.cpuId ?? prev.machine?.cpuId,
      loadAvg: r.loadAvg ?? prev.machine?.loadAvg,
    }));
  const order = cases(quick).map(([m, b]) => `${m} ${b}`);
  const rank = (r: Row): number => {
    const i = order.indexOf(`${r.model} ${r.batch}`);
    return i < 0 ? order.length : i;
  };
  return [...rows, ...kept].sort((a, b) => rank(a) - rank(b));
}

function cases(quick: boolean): [string, number][] {
  return quick
    ? [
        ['resnet18', 1],
        ['mobilenet_v2', 1],
        ['efficientnet_b0', 1],
        ['small-cnn', 128],
        ['lenet5', 128],
      ]
    : [
        ['resnet18', 1],
        ['resnet18', 8],
        ['mobilenet_v2', 1],
        ['mobilenet_v2', 8],
        ['efficientnet_b0', 1],
        ['efficientnet_b0', 8],
        ['small-cnn', 128],
        ['lenet5', 128],
      ];
}

/** The models the suite knows (--models picks among them). */
export const INFER_SUITE_MODELS = [
  'resnet18',
  'mobilenet_v2',
  'efficientnet_b0',
  'small-cnn',
  'lenet5',
] as const;

/** The TF.js twin of a model of the suite. */
function tfTwin(model: string): TF.LayersModel {
  if (model === 'resnet18') return tfResnet18();
  if (model === 'mobilenet_v2') return tfMobileNetV2();
  if (model === 'efficientnet_b0') return tfEfficientNetB0();
  return tfModel(model);
}

/** The cases also timed with intra-op threads (setNumThreads(2)). */
const THREADED: [string, number][] = [['resnet18', 1]];

async function ours(
  model: string,
  batch: number,
  timePlan: TimePlan,
  threads = 1
): Promise<number> {
  manualSeed(1);
  const m = createModel(model).eval();
  const [c, h, w] = inputShape(model);
  const x = randn([batch, c, h, w]).keep();
  setNumThreads(threads);
  try {
    const { timing } = await timeCall(
      `ours ${model} b${batch} ${threads}t`,
      () => {
        noGrad(() => tidy(() => m.forward(x).data()[0]));
      },
      timePlan
    );
    return batch / (timing.medianMs / 1000);
  } finally {
    setNumThreads(1);
    x.dispose();
    m.dispose();
  }
}

async function theirs(model: string, batch: number, timePlan: TimePlan): Promise<number> {
  const tf = tfjs();
  const net = tfTwin(model);
  const [c, h, w] = inputShape(model);
  const x = tf.randomNormal([batch, h, w, c]);
  const { timing } = await timeCall(
    `tfjs-wasm ${model} b${batch}`,
    () => {
      tf.tidy(() => (net.predict(x) as TF.Tensor).dataSync());
    },
    timePlan
  );
  x.dispose();
  net.dispose();
  return batch / (timing.medianMs / 1000);
}

async function ortWeb(
  model: string,
  batch: number,
  timePlan: TimePlan
): Promise<{ ips: number; agreement: number }> {
  manualSeed(1);
  const m = createModel(model);
  const [c, h, w] = inputShape(model);
  const x = randn([batch, c, h, w]);
  const input = x.toFloat32Array();
  x.dispose();
  const s = await ortStepper(m, [batch, c, h, w], [input]);
  try {
    const { timing } = await timeCall(`ort-web ${model} b${batch}`, s.step, timePlan, true);
    return { ips: batch / (timing.medianMs / 1000), agreement: s.agreement };
  } finally {
    await s.dispose();
    m.dispose();
  }
}

export interface Target {
  name: string;
  pass: boolean | null;
  detail: string;
}

/** The issue's checks: ours >= 2x ONNX Runtime Web on the 224x224 models at batch 1. */
export function targets(rows: readonly Row[]): Target[] {
  return ['resnet18', 'mobilenet_v2'].map((model) => {
    const r = rows.find((x) => x.model === model && x.batch === 1);
    const name = `${model} 224x224 batch 1 ours >= 2x ort-web`;
    if (!r?.ours || !r.ort) {
      return { name, pass: null, detail: r ? (r.note ?? 'a side did not run') : 'not run' };
    }
    const v = r.ours / r.ort;
    return {
      name,
      pass: v >= 2,
      detail:
        `${fmtRatio(v)} (ours ${fmtValue(r.ours)} img/s, ` + `ort-web ${fmtValue(r.ort)} img/s)`,
    };
  });
}

/** Runs the suite and prints it; the JSON goes to o.json or bench/results/. */
export async function inferSuite(o: SuiteOptions): Promise<void> {
  const { quick } = o;
  const timePlan = plan(quick);
  const started = Date.now();
  const machine = await machineInfo();
  const { build } = await init();
  console.log(
    `simdgrad inference benchmark ${quick ? '(--quick) ' : ''}${new Date(started).toISOString()}`
  );
  console.log(
    `machine: ${describeMachine(machine)}; ${machine.engine}; one thread ` +
      `(ResNet-18 b1 also on 2: setNumThreads); ours: ${build} kernels`
  );
  const info = o.peers.includes('tfjs-wasm') ? await loadPeers(['tfjs-wasm']) : undefined;
  const wasmOk = info?.wasm.ok === true;
  if (wasmOk) await useBackend('wasm');
  const asked = o.peers.includes('tfjs-wasm');
  console.log(
    !info
      ? `tfjs-wasm: ${asked ? 'not installed' : 'not in --peers'}`
      : `tfjs ${info.version}: wasm ${
          wasmOk
            ? `${info.wasm.binary}, ${info.wasm.threads} thread`
            : `unavailable (${info.wasm.error})`
        }`
  );
  let ortInfo: OrtWebInfo | { error: string } | undefined;
  if (o.peers.includes('ort-web')) {
    try {
      ortInfo = await loadOrtWeb();
    } catch (e) {
      ortInfo = { error: e instanceof NotInstalledError ? 'not installed' : errorMessage(e) };
    }
  }
  console.log(
    !ortInfo
      ? 'ort-web: not in --peers'
      : 'error' in ortInfo
        ? `ort-web: ${ortInfo.error}`
        : `onnxruntime-web ${ortInfo.version}: ${ortInfo.binary}, ${ortInfo.threads} thread, our ` +
          'ONNX export (checked against our output)'
  );
  const ortOk = ortInfo !== undefined && !('error' in ortInfo);
  const rows: Row[] = [];
  const todo = cases(quick).filter(([m]) => !o.models || o.models.includes(m));
  for (const [model, batch] of todo) {
    const r: Row = {
      model,
      batch,
      measuredAt: new Date().toISOString(),
      cpuId: machine.cpuId,
      loadAvg: loadavg().map((v) => Math.round(v * 100) / 100),
    };
    try {
      r.ours = await ours(model, batch, timePlan);
    } catch (e) {
      r.note = `ours: ${errorMessage(e)}`;
    }
    if (r.ours && THREADED.some(([m, b]) => m === model && b === batch)) {
      try {
        r.ours2Threads = await ours(model, batch, timePlan, 2);
        r.threadsRatio = r.ours2Threads / r.ours;
      } catch (e) {
        r.note = `${r.note ?? ''} ours 2 threads: ${errorMessage(e)}`.trim();
      }
    }
    if (wasmOk) {
      try {
        r.tfjs = await theirs(model, batch, timePlan);
      } catch (e) {
        r.note = `${r.note ?? ''} tfjs: ${errorMessage(e)}`.trim();
      }
    }
    if (ortOk) {
      try {
        const q = await ortWeb(model, batch, timePlan);
        r.ort = q.ips;
        r.ortAgreement = q.agreement;
      } catch (e) {
        r.note = `${r.note ?? ''} ort-web: ${errorMessage(e)}`.trim();
      }
    }
    process.stderr.write(
      `  .. ${model} b${batch}: ours ${fmtValue(r.ours)} img/s, tfjs-wasm ` +
        `${fmtValue(r.tfjs)} img/s, ort-web ${fmtValue(r.ort)} img/s\n`
    );
    rows.push(r);
  }
  const ratio = (a?: number, b?: number): string => (a && b ? fmtRatio(a / b) : '');
  console.log(
    textTable(
      [
        [
          'model',
          'input',
          'batch',
          'ours img/s',
          'tfjs-wasm img/s',
          'ours / tfjs-wasm',
          'ort-web img/s',
          'ours / ort-web',
          'note',
        ],
        ...rows.map((r) => [
          r.model,
          inputShape(r.model).join('x'),
          String(r.batch),
          fmtValue(r.ours),
          fmtValue(r.tfjs),
          ratio(r.ours, r.tfjs),
          fmtValue(r.ort),
          ratio(r.ours, r.ort),
          r.note ?? '',
        ]),
      ],
      3
    )
  );
  const threaded = rows.filter((r) => r.ours2Threads);
  if (threaded.length > 0) {
    console.log(
      `intra-op threads (setNumThreads), load average ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}:`
    );
    console.log(
      textTable(
        [
          ['model', 'batch', '1 thread img/s', '2 threads img/s', '2 / 1'],
          ...threaded.map((r) => [
            r.model,
            String(r.batch),
            fmtValue(r.ours),
            fmtValue(r.ours2Threads),
            fmtRatio(r.threadsRatio!),
          ]),
        ],
        3
      )
    );
  }
  const all = o.models ? mergeRows(rows, readResults(o, 'infer'), quick) : rows;
  const checks = targets(all);
  console.log('\ntarget checks (issue):');
  for (const t of checks) {
    console.log(`  ${t.pass === null ? 'N/A ' : t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.detail}`);
  }
  const out = writeResults(o, 'infer', {
    benchmark: 'simdgrad bench --suite infer',
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    machine,
    build,
    tfjs: info,
    ortWeb: ortInfo,
    rows: all,
    targets: checks,
  });
  if (out) console.log(`wrote ${out}`);
}
