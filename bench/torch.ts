// `simdgrad bench --suite torch [--quick] [--rounds N] [--models small-cnn,lenet5] [--json file]`
// (runTorchBench; also `node dist/bench/torch.js` with the same options, --out for --json):
// one-thread training images/s of ours (init()'s build) against native PyTorch on the same
// network, recipe and MNIST batches (bench/peers/torch.ts), capped at 128-bit vectors
// (ONEDNN_MAX_CPU_ISA=SSE41, the width Wasm SIMD has) and on the machine's full ISA; rounds
// alternate ours, torch-128, torch-full so a noisy machine hits all alike; medians over rounds
// and the ratios issue 16 (target 1) names: >= 1.7x torch-128, >= 0.7x full AVX2 (>= 0.45x where
// it is AVX-512). Results: torch.json (torch.quick.json with --quick) in bench/results/.

import os from 'node:os';
import { runIfMain, scriptArgs, writeResults } from './suites/common.js';
import { init } from '../src/index.js';
import { describeMachine, machineInfo } from './machine.js';
import { budget } from './measure.js';
import { mnistBatches, timeOursModel } from './models.js';
import { runTorch, type TorchIsa, type TorchRun } from './peers/torch.js';

const BATCH: Record<string, number> = { 'small-cnn': 64, lenet5: 128 };
/** The small CNN's forward + backward per image (2 convs, 2 linears; conv backward = 2x forward),
 * for "fraction of the Wasm peak" lines. */
const MFLOP_PER_IMAGE: Record<string, number> = { 'small-cnn': 72 };

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs ours against PyTorch with a script's arguments (see the header), prints it and writes
 * its JSON; returns what it wrote. */
export async function runTorchBench(args: string[]): Promise<Record<string, unknown>> {
  const cli = scriptArgs(args);
  const quick = cli.quick;
  const argValue = cli.value;
  const rounds = Number(argValue('rounds') ?? (quick ? 2 : 5));
  const models = (argValue('models') ?? 'small-cnn,lenet5').split(',').filter(Boolean);
  const timed = quick ? budget(1000, 5, 300, 2) : budget(3000, 12, 800, 3);
  const plan = { base: timed, slow: timed, slowAboveMs: Infinity, probes: 2 };
  const machine = await machineInfo();
  console.log(
    `ours vs native PyTorch, one thread, training (Adam lr 1e-3), ${rounds} rounds ` +
      `${new Date().toISOString()}`
  );
  console.log(`machine: ${describeMachine(machine)}`);
  const { build } = await init();
  const data = await mnistBatches(Math.max(...models.map((m) => BATCH[m] ?? 64)), 8);
  const imgs: Record<string, Record<string, number[]>> = {};
  const runs: { isa: TorchIsa; run: TorchRun }[] = [];
  const loads: number[] = [];
  for (const m of models) imgs[m] = { ours: [], 'torch-128': [], 'torch-full': [] };
  for (let r = 0; r < rounds; r++) {
    loads.push(os.loadavg()[0]);
    for (const m of models) {
      const t = await timeOursModel(m, 'train', BATCH[m] ?? 64, 1, data, plan);
      imgs[m].ours.push(t.imagesPerSecond);
      console.log(`  round ${r + 1} ours ${build} ${m}: ${t.imagesPerSecond.toFixed(0)} img/s`);
    }
    for (const isa of (r % 2 ? ['full', 'sse41'] : ['sse41', 'full']) as TorchIsa[]) {
      const run = await runTorch(
        models.map((m) => ({ model: m, mode: 'train' as const, batch: BATCH[m] ?? 64 })),
        data,
        { ...timed, maxMs: 4 * timed.timeMs + 10_000 },
        isa
      );
      runs.push({ isa, run });
      if (run.status !== 'ok') {
        console.log(`  torch ${isa}: ${run.status} (${run.detail})`);
        continue;
      }
      for (const row of run.rows) {
        if (row.status !== 'ok' || !row.samplesMs) {
          console.log(`  torch ${isa} ${row.model}: ${row.status} ${row.note ?? ''}`);
          continue;
        }
        const v = row.batch / (median(row.samplesMs) / 1000);
        imgs[row.model][isa === 'sse41' ? 'torch-128' : 'torch-full'].push(v);
        console.log(`  round ${r + 1} torch ${isa} ${row.model}: ${v.toFixed(0)} img/s`);
      }
    }
  }
  const first = runs.find((x) => x.run.status === 'ok')?.run;
  const isaOf = (isa: TorchIsa): string | undefined =>
    runs.find((x) => x.isa === isa && x.run.status === 'ok')?.run.isa;
  console.log(
    `\ntorch ${first?.version ?? 'not run'}, BLAS ${first?.blas ?? '?'}; oneDNN ISA: ` +
      `128-bit run '${isaOf('sse41') ?? '?'}', full run '${isaOf('full') ?? '?'}'; load average ` +
      `at round starts ${loads.map((l) => l.toFixed(1)).join(' ')}`
  );
  const wide = /AVX-512/i.test(isaOf('full') ?? '');
  const summary = models.map((m) => {
    const o = median(imgs[m].ours);
    const t128 = imgs[m]['torch-128'].length ? median(imgs[m]['torch-128']) : undefined;
    const tFull = imgs[m]['torch-full'].length ? median(imgs[m]['torch-full']) : undefined;
    return {
      model: m,
      batch: BATCH[m] ?? 64,
      ours: o,
      torch128: t128,
      torchFull: tFull,
      oursOver128: t128 ? o / t128 : undefined,
      oursOverFull: tFull ? o / tFull : undefined,
      gflops: MFLOP_PER_IMAGE[m] ? (o * MFLOP_PER_IMAGE[m]) / 1000 : undefined,
    };
  });
  const f = (v: number | undefined, d = 0): string => (v === undefined ? 'n/a' : v.toFixed(d));
  console.log('\nmedians over rounds (img/s):');
  for (const s of summary) {
    console.log(
      `  ${s.model} b${s.batch}: ours ${f(s.ours)}, torch-128 ${f(s.torch128)}, ` +
        `torch-full ${f(s.torchFull)}; ours / torch-128 ${f(s.oursOver128, 2)}x, ` +
        `ours / torch-full ${f(s.oursOverFull, 2)}x` +
        (s.gflops ? `; whole step ${s.gflops.toFixed(1)} GFLOP/s` : '')
    );
  }
  const cnn = summary.find((s) => s.model === 'small-cnn');
  if (cnn) {
    const fullTarget = wide ? 0.45 : 0.7;
    console.log('\ntarget check (issue 16, target 1):');
    console.log(
      `  ${cnn.oursOver128 === undefined ? 'N/A ' : cnn.oursOver128 >= 1.7 ? 'PASS' : 'MISS'}` +
        `  small-cnn b64 ours >= 1.7x PyTorch 128-bit: ${f(cnn.oursOver128, 2)}x`
    );
    console.log(
      `  ${cnn.oursOverFull === undefined ? 'N/A ' : cnn.oursOverFull >= fullTarget ? 'PASS' : 'MISS'}` +
        `  small-cnn b64 ours >= ${fullTarget}x PyTorch full ISA (${wide ? 'AVX-512' : 'AVX2'}): ` +
        `${f(cnn.oursOverFull, 2)}x`
    );
  }
  const json = {
    benchmark: 'bench/torch.ts',
    startedAt: new Date().toISOString(),
    args,
    machine,
    build,
    torch: {
      version: first?.version,
      blas: first?.blas,
      isa128: isaOf('sse41'),
      isaFull: isaOf('full'),
    },
    loadAverages: loads,
    rounds: imgs,
    summary,
  };
  const out = writeResults({ json: argValue('out'), quick, peers: [] }, 'torch', json);
  if (out) console.log(`\nwrote ${out}`);
  return json;
}

runIfMain(import.meta.url, () => runTorchBench(process.argv.slice(2)));
