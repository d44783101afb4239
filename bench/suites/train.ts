// `simdgrad bench --suite train [--quick] [--models small-cnn,lenet5] [--batches 64,128]
// [--peers tfjs-wasm] [--workers 1,2]` (`npm run bench:train`): training throughput (images/s,
// one thread) of small-cnn and lenet5 on real MNIST batches, ours beside TensorFlow.js wasm and
// cpu training the same architecture (NHWC, tf.layers, Adam lr 1e-3, softmax cross-entropy,
// dropout on) in the same run. One step = forward + backward + Adam, one timed sample; img/s = batch / median step time.
// TF.js wasm 4.22 cannot train a conv net as shipped: it has no Conv2DBackpropFilter kernel
// (tensorflow/tfjs#8474). bench/peers/tfjs-fill.ts fills it with tf.registerKernel (plain JS
// over the wasm heap: im2col per image + a 2x4 register-blocked product, checked against
// tfjs-cpu's kernel before timing); its time counts against tfjs-wasm, so tfjs-wasm's img/s is
// what a user gets only after writing such a kernel (the table also shows it with that time
// taken out). small-cnn-class is the same network written as a custom nn.Module class
// (bench/small-cnn-class.ts; workers import it by URL): ours only, checked against small-cnn's
// img/s. Results: bench/results/train.json (train.quick.json with --quick) or --json.

import { fmtValue, textTable } from '../format.js';
import { loadPeers, progress, writeResults, type SuiteOptions } from './common.js';
import { MNIST_MEAN, MNIST_STD } from '../../src/data/mnist.js';
import { init } from '../../src/index.js';
import { chooseBuild, type BuildName } from '../../src/runtime/load.js';
import { describeMachine, machineInfo } from '../machine.js';
import { budget, errorMessage as errMsg, type TimePlan, type Timing } from '../measure.js';
import {
  CUSTOM_SMALL_CNN,
  mnistBatches,
  timeOursModel,
  timePeerModel,
  type Batch,
  type ModelTiming,
} from '../models.js';
import {
  FILL_DESCRIPTION,
  checkFilledKernels,
  fillWasmKernels,
  type FillCheck,
} from '../peers/tfjs-fill.js';
import { tfTrainer, withFillStats } from '../peers/tfjs-models.js';
import { useBackend, type TfjsInfo } from '../peers/tfjs.js';

type ModelName = 'small-cnn' | 'small-cnn-class' | 'lenet5';
type Impl = 'ours' | 'tfjs-wasm' | 'tfjs-cpu';

interface ImplResult {
  impl: Impl;
  /** ours: worker threads sharing each minibatch (1: the calling thread alone). */
  workers?: number;
  /** ours: which kernel build. */
  build?: BuildName;
  status: 'ok' | 'error' | 'skipped' | 'unavailable';
  note?: string;
  timing?: Timing;
  imagesPerSecond?: number;
  /** The batch the steps were timed at (tfjs-cpu may use fewer images than the case). */
  timedBatch?: number;
  params?: number;
  /** tfjs-wasm: median ms per step inside the filled Conv2DBackpropFilter, and img/s with it
   * taken out of each step (an upper bound: as if that kernel cost nothing). */
  filledKernelMs?: number;
  filledKernelGflops?: number;
  imagesPerSecondExclFilled?: number;
}

interface CaseResult {
  model: ModelName;
  batch: number;
  results: ImplResult[];
  oursBuild?: BuildName;
  oursOverTfjsWasm?: number;
  oursOverTfjsWasmExclFilled?: number;
  oursOverTfjsCpu?: number;
}

export const TRAIN_SUITE_MODELS: readonly ModelName[] = ['small-cnn', 'small-cnn-class', 'lenet5'];

const NOT_INSTALLED = 'not installed (npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm)';
const SAME_AS_SMALL_CNN = 'the same network as small-cnn: see its rows';

/** Distinct batches cycled through the steps (real MNIST train images, normalized). */
const N_BATCHES = 8;

interface Config {
  o: SuiteOptions;
  models: ModelName[];
  batches: number[];
  /** Two probe steps (the first one is cold), then the base budget; a step slower than
   * slowAboveMs (tfjs-wasm small-cnn: 1.5-3 s) gets a few timed steps only. */
  plan: TimePlan;
  /** A peer's steps of one case (warm-up included) fit in about this; tfjs-cpu small-cnn runs
   * ~0.6 img/s, so it is timed at fewer images than the case's batch. */
  cpuCapMs: number;
  wasmCapMs: number;
}

function config(o: SuiteOptions): Config {
  const models = (o.models ?? TRAIN_SUITE_MODELS).map((m) => {
    if (!TRAIN_SUITE_MODELS.includes(m as ModelName)) {
      throw new RangeError(
        `bench --suite train: unknown model '${m}'; known: ` + `${TRAIN_SUITE_MODELS.join(', ')}`
      );
    }
    return m as ModelName;
  });
  return {
    o,
    models,
    batches: o.batches ?? (o.quick ? [64] : [64, 128]),
    plan: o.quick
      ? { base: budget(300, 3, 0, 1), slow: budget(0, 2, 0, 0), slowAboveMs: 1000, probes: 2 }
      : { base: budget(2000, 10, 500, 3), slow: budget(0, 5, 0, 1), slowAboveMs: 1000, probes: 2 },
    cpuCapMs: o.quick ? 15_000 : 60_000,
    wasmCapMs: o.quick ? 15_000 : 60_000,
  };
}

function fromTiming(r: ImplResult, m: ModelTiming): ImplResult {
  return {
    ...r,
    timing: m.timing,
    timedBatch: m.timedBatch,
    imagesPerSecond: m.imagesPerSecond,
    params: m.params,
    note: m.note,
  };
}

// ---- ours ----

async function runOurs(
  cfg: Config,
  build: BuildName,
  model: ModelName,
  batch: number,
  data: Batch[],
  workers = 1
): Promise<ImplResult> {
  const r: ImplResult = { impl: 'ours', build, status: 'ok', workers };
  try {
    const m = await timeOursModel(model, 'train', batch, workers, data, cfg.plan);
    progress(
      `ours ${build} ${model} b${batch} w${workers}: ${m.timing.medianMs.toFixed(1)} ` +
        `ms/step, ${m.imagesPerSecond.toFixed(0)} img/s`
    );
    return fromTiming(r, m);
  } catch (e) {
    return { ...r, status: 'error', note: errMsg(e) };
  }
}

// ---- TF.js ----

async function runTfjsWasm(
  cfg: Config,
  model: ModelName,
  batch: number,
  data: Batch[],
  info: TfjsInfo | undefined
): Promise<ImplResult> {
  const r: ImplResult = { impl: 'tfjs-wasm', status: 'ok' };
  if (model === CUSTOM_SMALL_CNN) return { ...r, status: 'skipped', note: SAME_AS_SMALL_CNN };
  if (!cfg.o.peers.includes('tfjs-wasm'))
    return { ...r, status: 'skipped', note: 'not in --peers' };
  if (!info) return { ...r, status: 'unavailable', note: NOT_INSTALLED };
  if (!info.wasm.ok) return { ...r, status: 'unavailable', note: info.wasm.error };
  try {
    await useBackend('wasm');
    let stepper: ReturnType<typeof withFillStats> | undefined;
    const m = await timePeerModel(
      `tfjs-wasm ${model} b${batch}`,
      (b) => {
        stepper = withFillStats(tfTrainer(model, b, data));
        return stepper;
      },
      batch,
      cfg.plan,
      cfg.wasmCapMs
    );
    const st = stepper!.stats(m.timing.samples);
    const out = fromTiming(r, m);
    out.filledKernelMs = st.filledMs;
    out.filledKernelGflops = st.filledGflops;
    out.imagesPerSecondExclFilled = m.timedBatch / (st.medianExclFilledMs / 1000);
    progress(
      `tfjs-wasm ${model} b${batch}: ${m.timing.medianMs.toFixed(1)} ms/step ` +
        `(${st.filledMs.toFixed(1)} in the filled kernel), ${m.imagesPerSecond.toFixed(1)} img/s`
    );
    return out;
  } catch (e) {
    return { ...r, status: 'error', note: errMsg(e) };
  }
}

/** tfjs-cpu takes seconds per image on small-cnn (its Conv2DBackpropFilter runs ~0.01
 * GFLOP/s): timed at the batch that lets two or three steps fit in cpuCapMs. */
async function runTfjsCpu(
  cfg: Config,
  model: ModelName,
  batch: number,
  data: Batch[],
  info: TfjsInfo | undefined
): Promise<ImplResult> {
  const r: ImplResult = { impl: 'tfjs-cpu', status: 'ok' };
  if (model === CUSTOM_SMALL_CNN) return { ...r, status: 'skipped', note: SAME_AS_SMALL_CNN };
  if (!cfg.o.peers.includes('tfjs-cpu')) return { ...r, status: 'skipped', note: 'not in --peers' };
  if (!info) return { ...r, status: 'unavailable', note: NOT_INSTALLED };
  try {
    await useBackend('cpu');
    const m = await timePeerModel(
      `tfjs-cpu ${model} b${batch}`,
      (b) => tfTrainer(model, b, data),
      batch,
      cfg.plan,
      cfg.cpuCapMs
    );
    progress(`tfjs-cpu ${model} b${batch}: ${m.imagesPerSecond.toFixed(2)} img/s (${m.note})`);
    return fromTiming(r, m);
  } catch (e) {
    return { ...r, status: 'error', note: errMsg(e) };
  }
}

// ---- printing ----

function ok(
  r: ImplResult | undefined
): r is ImplResult & { timing: Timing; imagesPerSecond: number } {
  return r !== undefined && r.status === 'ok' && r.imagesPerSecond !== undefined;
}

const ips = fmtValue;

function ms(v: number): string {
  return fmtValue(v);
}

function ratio(v: number | undefined): string {
  if (v === undefined) return 'n/a';
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}x`;
}

function label(r: ImplResult): string {
  return r.impl === 'ours'
    ? `ours ${r.build}${(r.workers ?? 1) > 1 ? ` ${r.workers} workers` : ''}`
    : r.impl;
}

function table(rows: string[][], leftCols = 1): void {
  console.log(textTable(rows, leftCols).replace(/^/gm, '  '));
}

function printCase(cr: CaseResult): void {
  console.log(`\n${cr.model}, batch ${cr.batch}`);
  const rows: string[][] = [['impl', 'img/s', 'ms/step', 'p25..p75', 'n', 'params', 'note']];
  for (const r of cr.results) {
    if (!ok(r)) {
      rows.push([label(r), r.status.toUpperCase(), '', '', '', '', r.note ?? '']);
      continue;
    }
    const t = r.timing;
    const notes = [r.note ?? ''];
    if (r.filledKernelMs !== undefined) {
      notes.push(
        `incl. ${ms(r.filledKernelMs)} ms/step in the filled JS Conv2DBackpropFilter ` +
          `(${(r.filledKernelGflops ?? 0).toFixed(2)} GFLOP/s); ` +
          `${ips(r.imagesPerSecondExclFilled)} img/s without it`
      );
    }
    rows.push([
      label(r),
      ips(r.imagesPerSecond),
      ms(t.medianMs),
      `${ms(t.p25Ms)}..${ms(t.p75Ms)}`,
      String(t.samples),
      String(r.params ?? ''),
      notes.filter(Boolean).join('; '),
    ]);
  }
  table(rows);
  console.log(
    `  ours (${cr.oursBuild ?? 'none'}) / tfjs-wasm: ${ratio(cr.oursOverTfjsWasm)} ` +
      `(${ratio(cr.oursOverTfjsWasmExclFilled)} if its filled kernel cost nothing)   ` +
      `ours / tfjs-cpu: ${ratio(cr.oursOverTfjsCpu)}`
  );
}

function printSummary(crs: CaseResult[]): void {
  console.log('\nsummary (images/s, one thread; ratio = our img/s / theirs):');
  const rows: string[][] = [
    [
      'model',
      'batch',
      'ours',
      'build',
      'tfjs-wasm',
      'wasm-no-fill',
      'tfjs-cpu',
      'ours/wasm',
      'ours/wasm-no-fill',
      'ours/cpu',
    ],
  ];
  for (const cr of crs) {
    const o = cr.results.find((r) => r.impl === 'ours' && r.build === cr.oursBuild);
    const w = cr.results.find((r) => r.impl === 'tfjs-wasm');
    const c = cr.results.find((r) => r.impl === 'tfjs-cpu');
    const cell = (r: ImplResult | undefined, v?: number): string =>
      ok(r) ? ips(v ?? r.imagesPerSecond) : (r?.status ?? '');
    rows.push([
      cr.model,
      String(cr.batch),
      cell(o),
      cr.oursBuild ?? '',
      cell(w),
      cell(w, w?.imagesPerSecondExclFilled),
      ok(c) && c.timedBatch !== cr.batch ? `${cell(c)} (b${c.timedBatch})` : cell(c),
      ratio(cr.oursOverTfjsWasm),
      ratio(cr.oursOverTfjsWasmExclFilled),
      ratio(cr.oursOverTfjsCpu),
    ]);
  }
  table(rows, 2);
  for (const cr of crs) {
    const one = cr.results.find(
      (r) => r.impl === 'ours' && r.build === cr.oursBuild && (r.workers ?? 1) === 1
    );
    for (const r of cr.results.filter((x) => x.impl === 'ours' && (x.workers ?? 1) > 1)) {
      console.log(
        `  ${cr.model} batch ${cr.batch}: ${r.workers} workers ${ok(r) ? ips(r.imagesPerSecond) : r.status} img/s` +
          (ok(r) && ok(one)
            ? ` = ${ratio(r.imagesPerSecond / one.imagesPerSecond)} one worker`
            : '')
      );
    }
  }
}

// ---- main ----

/** Runs the suite and prints it; the JSON goes to o.json or bench/results/. */
export async function trainSuite(o: SuiteOptions): Promise<void> {
  const cfg = config(o);
  const { quick } = o;
  const started = new Date();
  const machine = await machineInfo();
  console.log(`simdgrad training benchmark ${quick ? '(--quick) ' : ''}${started.toISOString()}`);
  console.log(`machine: ${describeMachine(machine)}; ${machine.platform}; ${machine.engine}`);
  const workers = [...new Set(o.workers ?? [1])].sort((a, b) => a - b);
  console.log(
    `workers: ${workers.join(', ')} (1 = the main thread alone, N > 1 = N piscina ` +
      'threads sharing each minibatch); TF.js runs single-threaded (its wasm backend has no threads in Node)'
  );
  console.log(
    'step = forward + backward + Adam(lr 1e-3) ' +
      'on softmax cross-entropy, dropout on; img/s = batch / median step time (bench/measure.ts, ' +
      'warm-up first)'
  );

  const defaultBuild = await chooseBuild('auto');
  const builds: BuildName[] = defaultBuild === 'relaxed' ? ['relaxed', 'simd128'] : ['simd128'];
  console.log(
    `ours: kernel builds ${builds.join(', ')}; init() picks ${defaultBuild} here ` +
      '(ratios use it)'
  );

  const data = await mnistBatches(Math.max(...cfg.batches), N_BATCHES);
  console.log(
    `data: ${N_BATCHES} fixed batches of real MNIST train images (first ` +
      `${N_BATCHES * Math.max(...cfg.batches)}), normalized (${MNIST_MEAN}, ${MNIST_STD}), cycled`
  );

  const cases: CaseResult[] = [];
  for (const model of cfg.models) {
    for (const batch of cfg.batches) cases.push({ model, batch, results: [] });
  }

  for (const build of builds) {
    // Each build gets its own runtime; models made under one are left alone after the switch.
    await init({ build });
    for (const cr of cases) cr.results.push(await runOurs(cfg, build, cr.model, cr.batch, data));
  }
  await init({ build: defaultBuild });
  for (const w of workers.filter((n) => n > 1)) {
    for (const cr of cases)
      cr.results.push(await runOurs(cfg, defaultBuild, cr.model, cr.batch, data, w));
  }

  const tfInfo = o.peers.length === 0 ? undefined : await loadPeers(o.peers);
  let fill: string[] = [];
  let fillChecks: FillCheck[] = [];
  if (!tfInfo) {
    console.log(`tfjs: ${o.peers.length === 0 ? 'no peers asked for' : NOT_INSTALLED}`);
  } else if (tfInfo.wasm.ok) {
    fill = fillWasmKernels();
    fillChecks = fill.length > 0 ? await checkFilledKernels() : [];
    console.log(
      `tfjs ${tfInfo.version}: wasm backend loaded ${tfInfo.wasm.binary} ` +
        `(SIMD ${tfInfo.wasm.simdSupported}, XNNPACK threads ${tfInfo.wasm.threads}); cpu ` +
        `backend ${o.peers.includes('tfjs-cpu') ? 'plain JS' : 'skipped (not in --peers)'}; models built with tf.layers, ` +
        'optimizer.minimize(loss) + dataSync() per step'
    );
    if (fill.length > 0) {
      console.log(`filled kernel: ${FILL_DESCRIPTION}`);
      for (const c of fillChecks) {
        console.log(
          `  check ${c.kernel} ${c.label} vs tfjs-cpu: max |diff| ` +
            `${c.maxAbsDiff.toExponential(2)} (max |ref| ${c.maxAbsRef.toFixed(2)}) ` +
            `${c.pass ? 'ok' : 'MISMATCH'}`
        );
      }
    } else {
      console.log('filled kernel: none needed (this tfjs-wasm has Conv2DBackpropFilter)');
    }
  } else {
    console.log(`tfjs ${tfInfo.version}: wasm backend UNAVAILABLE - ${tfInfo.wasm.error}`);
  }
  const fillOk = fillChecks.every((c) => c.pass);
  for (const cr of cases) {
    cr.results.push(
      fillOk
        ? await runTfjsWasm(cfg, cr.model, cr.batch, data, tfInfo)
        : { impl: 'tfjs-wasm', status: 'error', note: 'filled kernel failed its check' }
    );
  }
  // tfjs-cpu last: its garbage must not be collected inside the other timings.
  for (const cr of cases) cr.results.push(await runTfjsCpu(cfg, cr.model, cr.batch, data, tfInfo));

  for (const cr of cases) {
    const o = cr.results.find(
      (r) => r.impl === 'ours' && r.build === defaultBuild && (r.workers ?? 1) === 1
    );
    const w = cr.results.find((r) => r.impl === 'tfjs-wasm');
    const c = cr.results.find((r) => r.impl === 'tfjs-cpu');
    if (ok(o)) {
      cr.oursBuild = defaultBuild;
      if (ok(w)) {
        cr.oursOverTfjsWasm = o.imagesPerSecond / w.imagesPerSecond;
        if (w.imagesPerSecondExclFilled) {
          cr.oursOverTfjsWasmExclFilled = o.imagesPerSecond / w.imagesPerSecondExclFilled;
        }
      }
      if (ok(c)) cr.oursOverTfjsCpu = o.imagesPerSecond / c.imagesPerSecond;
    }
    printCase(cr);
  }
  printSummary(cases);

  const targets = cases
    .filter((cr) => cr.model === 'small-cnn')
    .map((cr) => {
      const v = cr.oursOverTfjsWasm;
      const o = cr.results.find(
        (r) => r.impl === 'ours' && r.build === cr.oursBuild && (r.workers ?? 1) === 1
      );
      const w = cr.results.find((r) => r.impl === 'tfjs-wasm');
      return {
        name: `small-cnn batch ${cr.batch} single-threaded ours >= 5x tfjs-wasm`,
        pass: v === undefined ? null : v >= 5,
        detail:
          v === undefined
            ? 'n/a'
            : `${ratio(v)} (ours ${ips(o?.imagesPerSecond)} img/s ` +
              `${cr.oursBuild}, tfjs-wasm ${ips(w?.imagesPerSecond)} img/s with the filled JS kernel; ` +
              `${ratio(cr.oursOverTfjsWasmExclFilled)} vs ` +
              `${ips(w?.imagesPerSecondExclFilled)} img/s if that kernel cost nothing)`,
      };
    });
  for (const cr of cases) {
    const one = cr.results.find(
      (r) => r.impl === 'ours' && r.build === cr.oursBuild && (r.workers ?? 1) === 1
    );
    const w = cr.results.find((r) => r.impl === 'tfjs-wasm');
    for (const r of cr.results.filter((x) => x.impl === 'ours' && (x.workers ?? 1) > 1)) {
      if (!ok(r) || !ok(one)) continue;
      const scale = r.imagesPerSecond / one.imagesPerSecond;
      targets.push({
        name: `${cr.model} batch ${cr.batch} ${r.workers} workers >= ${(0.9 * r.workers!).toFixed(1)}x one worker`,
        pass: scale >= 0.9 * r.workers!,
        detail: `${ratio(scale)} (${ips(r.imagesPerSecond)} vs ${ips(one.imagesPerSecond)} img/s)`,
      });
      if (cr.model === 'small-cnn' && ok(w)) {
        const v = r.imagesPerSecond / w.imagesPerSecond;
        targets.push({
          name: `small-cnn batch ${cr.batch} ${r.workers} workers >= 10x tfjs-wasm single-threaded`,
          pass: v >= 10,
          detail:
            `${ratio(v)} (${ips(r.imagesPerSecond)} vs ${ips(w.imagesPerSecond)} img/s; ` +
            `${ratio(w.imagesPerSecondExclFilled ? r.imagesPerSecond / w.imagesPerSecondExclFilled : undefined)} ` +
            'if its filled kernel cost nothing)',
        });
      }
    }
  }
  // The custom class against the zoo's Sequential, per worker count (issue 11: within 5%).
  for (const cr of cases.filter((c) => c.model === CUSTOM_SMALL_CNN)) {
    const zoo = cases.find((c) => c.model === 'small-cnn' && c.batch === cr.batch);
    for (const r of cr.results.filter((x) => x.impl === 'ours' && x.build === defaultBuild)) {
      const z = zoo?.results.find(
        (x) =>
          x.impl === 'ours' && x.build === defaultBuild && (x.workers ?? 1) === (r.workers ?? 1)
      );
      const w = r.workers ?? 1;
      const name =
        `small-cnn-class batch ${cr.batch} ${w} worker${w > 1 ? 's' : ''} within 5% of ` +
        'small-cnn';
      if (!ok(r) || !ok(z)) {
        targets.push({
          name,
          pass: null,
          detail: zoo ? 'a run failed' : 'small-cnn not run (--models)',
        });
        continue;
      }
      const v = r.imagesPerSecond / z.imagesPerSecond;
      targets.push({
        name,
        pass: v >= 0.95,
        detail: `${(100 * v).toFixed(1)}% (${ips(r.imagesPerSecond)} vs ${ips(z.imagesPerSecond)} img/s)`,
      });
    }
  }
  console.log('\ntarget check (issue):');
  if (targets.length === 0) console.log('  N/A   small-cnn not run (--models)');
  for (const t of targets) {
    console.log(`  ${t.pass === null ? 'N/A ' : t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.detail}`);
  }

  const json = {
    benchmark: 'simdgrad bench --suite train',
    startedAt: started.toISOString(),
    seconds: +((Date.now() - started.getTime()) / 1000).toFixed(1),
    options: o,
    machine,
    workers,
    ours: { builds, defaultBuild },
    tfjs: {
      ...tfInfo,
      filledKernels: fill,
      fillDescription: fill.length ? FILL_DESCRIPTION : '',
      fillChecks,
    },
    data: { batches: N_BATCHES, source: 'mnist train, normalized' },
    budget: { plan: cfg.plan, cpuCapMs: cfg.cpuCapMs, wasmCapMs: cfg.wasmCapMs },
    cases,
    targets,
  };
  const outPath = writeResults(o, 'train', json);
  console.log(`\n${outPath ? `wrote ${outPath} ` : ''}(${json.seconds} s)`);
}
