// `npm run bench:kernels [-- --quick] [--no-cpu] [--only=gemm.512,conv.mnist2]`: our kernels in
// both builds beside TensorFlow.js wasm and cpu on src/bench/shapes.ts, in one process and run.
// Prints the machine, the measured SIMD peak, a table per shape and the issue's target checks;
// writes the same to bench/results/kernels.json (kernels.quick.json with --quick).

import { writeResults } from './results-path.js';
import { createRuntime, type BuildName, type Runtime } from '../src/runtime/load.js';
import {
  runOurKernel, runTfjsKernel, type KernelImpl as Impl, type KernelImplResult as ImplResult,
  type KernelPlan,
} from '../src/bench/kernels.js';
import { budget, errorMessage as errMsg, type Budget, type Timing } from '../src/bench/measure.js';
import { describeMachine, machineInfo } from '../src/bench/machine.js';
import { measurePeak, type Peak } from '../src/bench/ours.js';
import { loadTfjs, type TfBackend, type TfjsInfo } from '../src/bench/peers/tfjs.js';
import { CASES, flopsOf, poolBytes, type BenchCase } from '../src/bench/shapes.js';

interface CaseResult {
  id: string;
  label: string;
  kind: BenchCase['kind'];
  flops: number;
  results: ImplResult[];
  /** The faster of our two builds, and tfjs time / our time. */
  bestOurs?: BuildName;
  speedupVsTfjsWasm?: number;
  /** Same with tfjs-wasm's dataSync() copy-out taken off its time. */
  speedupVsTfjsWasmExclReadback?: number;
  speedupVsTfjsCpu?: number;
}

interface Check {
  name: string;
  pass: boolean | null;
  detail: string;
}

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const NO_CPU = args.includes('--no-cpu');
const ONLY = args.find((a) => a.startsWith('--only='))?.slice(7).split(',').filter(Boolean);
const OUT_ARG = args.find((a) => a.startsWith('--out='))?.slice(6);

const BASE: Budget = QUICK
  ? budget(150, 3, 50, 2)
  : budget(1000, 10, 250, 5);
/** A call slower than slowAboveMs (tfjs-cpu, tfjs-wasm's scalar backprop) gets a few samples
 * only; one slower than oneShotAboveMs (tfjs-wasm's Conv2DBackpropInput at batch 64: ~2 s) is
 * timed once after its probe. tfjs-cpu conv/pool cases are scaled down past cpuFullMaxMs. */
const PLAN: KernelPlan = {
  base: BASE,
  slow: QUICK ? budget(0, 1, 0, 0)
    : budget(0, 3, 0, 0),
  slowAboveMs: 250,
  oneShotAboveMs: 2000,
  probes: 1,
  cpuFullMaxMs: 3000,
  cpuTargetMs: 1000,
};
const READBACK: Budget = budget(100, 5, 20, 2);

function progress(msg: string): void {
  process.stderr.write(`  .. ${msg}\n`);
}

async function runOurs(rt: Runtime, c: BenchCase, peak: Peak): Promise<ImplResult> {
  return runOurKernel(rt, c, peak.gflops, PLAN, progress);
}

async function runTfjs(b: TfBackend, c: BenchCase, info: TfjsInfo): Promise<ImplResult> {
  const impl: Impl = `tfjs-${b}`;
  if (b === 'cpu' && NO_CPU) return { impl, status: 'skipped', note: '--no-cpu' };
  if (b === 'wasm' && !info.wasm.ok) return { impl, status: 'unavailable', note: info.wasm.error };
  return runTfjsKernel(b, c, PLAN, progress, READBACK);
}

function ok(r: ImplResult | undefined): r is ImplResult & { timing: Timing } {
  return r !== undefined && r.status === 'ok' && r.timing !== undefined;
}

function derive(cr: CaseResult): void {
  const ours = cr.results.filter((r) => (r.impl === 'simd128' || r.impl === 'relaxed') && ok(r));
  if (ours.length === 0) return;
  const best = ours.reduce((a, b) => (b.timing!.medianMs < a.timing!.medianMs ? b : a));
  cr.bestOurs = best.impl as BuildName;
  const t = best.timing!.medianMs;
  const w = cr.results.find((r) => r.impl === 'tfjs-wasm');
  const cpu = cr.results.find((r) => r.impl === 'tfjs-cpu');
  if (ok(w)) cr.speedupVsTfjsWasm = w.timing.medianMs / t;
  if (ok(w) && w.readbackMs !== undefined) {
    cr.speedupVsTfjsWasmExclReadback = Math.max(w.timing.medianMs - w.readbackMs, 0) / t;
  }
  if (ok(cpu)) cr.speedupVsTfjsCpu = cpu.timing.medianMs / t;
}

// ---- printing ----

function ms(v: number): string {
  return v >= 100 ? v.toFixed(1) : v >= 10 ? v.toFixed(2) : v.toFixed(3);
}

function num(v: number | undefined, digits = 2): string {
  return v === undefined ? '' : v.toFixed(digits);
}

function ratio(v: number | undefined): string {
  return v === undefined ? 'n/a' : `${v.toFixed(2)}x`;
}

const IMPL_LABEL: Record<Impl, string> = {
  simd128: 'ours simd128', relaxed: 'ours relaxed',
  'tfjs-wasm': 'tfjs-wasm', 'tfjs-cpu': 'tfjs-cpu',
};

function printCase(c: BenchCase, cr: CaseResult): void {
  const pool = c.kind === 'pool';
  const amount = pool ? `${(poolBytes(c, false) / 1e6).toFixed(1)} MB in+out` :
    `${(cr.flops / 1e6).toFixed(1)} MFLOP`;
  console.log(`\n${cr.label}   [${cr.id}, ${amount}]`);
  const head = ['impl', 'median ms', 'p25..p75 ms', 'MAD ms', 'n', pool ? 'GB/s' : 'GFLOP/s',
    pool ? '' : '% peak', 'kernel / note'];
  const rows: string[][] = [head];
  for (const r of cr.results) {
    if (!ok(r)) {
      rows.push([IMPL_LABEL[r.impl], r.status.toUpperCase(), '', '', '', '', '',
        `${r.kernel ?? ''}${r.note ? ` - ${r.note}` : ''}`]);
      continue;
    }
    const t = r.timing;
    rows.push([
      IMPL_LABEL[r.impl], ms(t.medianMs), `${ms(t.p25Ms)}..${ms(t.p75Ms)}`, ms(t.madMs),
      String(t.samples), pool ? num(r.gbps) : num(r.gflops),
      r.fractionOfPeak === undefined ? '' : `${(100 * r.fractionOfPeak).toFixed(1)}%`,
      [r.kernel ?? '', pool && r.bytes ? `(${(r.bytes / 1e6).toFixed(1)} MB)` : '',
        r.readbackMs === undefined ? '' : `(incl. ${ms(r.readbackMs)} ms readback)`,
        r.note ? `- ${r.note}` : ''].filter(Boolean).join(' '),
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) {
    const cells = row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i])
      : cell.padStart(widths[i])));
    console.log(`  ${cells.join('  ').trimEnd()}`);
  }
  const best = cr.bestOurs ? `ours-best (${cr.bestOurs})` : 'ours-best (none)';
  const excl = cr.speedupVsTfjsWasmExclReadback;
  const differs = excl !== undefined && cr.speedupVsTfjsWasm !== undefined &&
    Math.abs(excl / cr.speedupVsTfjsWasm - 1) > 0.05;
  const exclNote = differs ? ` (${ratio(excl)} without its readback)` : '';
  console.log(`  ${best} vs tfjs-wasm: ${ratio(cr.speedupVsTfjsWasm)}${exclNote}   ` +
    `vs tfjs-cpu: ${ratio(cr.speedupVsTfjsCpu)}   (tfjs time / our time)`);
}

/** One line per case: the numbers a reader compares first. */
function printSummary(crs: CaseResult[]): void {
  console.log('\nsummary (GFLOP/s, GB/s for pooling; % of that build\'s peak; ' +
    'speedup = tfjs time / our best time):');
  const head = ['case', 'simd128', '%pk', 'relaxed', '%pk', 'tfjs-wasm', 'tfjs-cpu', 'vs wasm',
    'vs cpu'];
  const rows: string[][] = [head];
  const rate = (cr: CaseResult, impl: Impl): string => {
    const r = cr.results.find((x) => x.impl === impl);
    if (!r || !ok(r)) return r ? r.status : '';
    return num(cr.kind === 'pool' ? r.gbps : r.gflops);
  };
  const pct = (cr: CaseResult, impl: Impl): string => {
    const f = cr.results.find((x) => x.impl === impl)?.fractionOfPeak;
    return f === undefined ? '' : `${(100 * f).toFixed(0)}%`;
  };
  for (const cr of crs) {
    rows.push([cr.id, rate(cr, 'simd128'), pct(cr, 'simd128'), rate(cr, 'relaxed'),
      pct(cr, 'relaxed'), rate(cr, 'tfjs-wasm'), rate(cr, 'tfjs-cpu'),
      ratio(cr.speedupVsTfjsWasm), ratio(cr.speedupVsTfjsCpu)]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) {
    console.log(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i])
      : cell.padStart(widths[i]))).join('  ')}`);
  }
}

// ---- targets from the issue ----

function bestOf(cr: CaseResult | undefined): ImplResult | undefined {
  return cr?.results.find((r) => r.impl === cr.bestOurs);
}

function checks(byId: Map<string, CaseResult>): Check[] {
  const out: Check[] = [];
  const g = byId.get('gemm.512');
  const gb = bestOf(g);
  out.push({
    name: 'GEMM 512^3 >= 1.15x tfjs-wasm',
    pass: g?.speedupVsTfjsWasm === undefined ? null : g.speedupVsTfjsWasm >= 1.15,
    detail: g?.speedupVsTfjsWasm === undefined ? 'n/a' : `${ratio(g.speedupVsTfjsWasm)} ` +
      `(ours ${num(gb?.gflops)} GFLOP/s ${gb?.impl}, tfjs-wasm ` +
      `${num(g.results.find((r) => r.impl === 'tfjs-wasm')?.gflops)} GFLOP/s; ` +
      `${ratio(g.speedupVsTfjsWasmExclReadback)} without its readback)`,
  });
  const fracs = (g?.results ?? []).filter((r) => r.fractionOfPeak !== undefined)
    .map((r) => `${r.impl} ${(100 * r.fractionOfPeak!).toFixed(1)}%`).join(', ');
  out.push({
    name: 'GEMM 512^3 >= 70% of measured peak',
    pass: gb?.fractionOfPeak === undefined ? null : gb.fractionOfPeak >= 0.7,
    detail: gb?.fractionOfPeak === undefined ? 'n/a' : `best build ${gb.impl} ` +
      `${(100 * gb.fractionOfPeak).toFixed(1)}% (${fracs})`,
  });
  const convIds = [...new Set(CASES.filter((c) => c.kind === 'conv').map((c) => c.id.split('.')
    .slice(0, 2).join('.')))];
  for (const base of convIds) {
    const fwd = byId.get(`${base}.fwd`);
    if (!fwd) continue;
    const f = bestOf(fwd);
    const oursStatus = fwd.results.filter((r) => r.impl === 'simd128' || r.impl === 'relaxed')
      .map((r) => r.status).join('/');
    const why = f ? '' : `ours ${oursStatus}`;
    out.push({
      name: `${base} fwd >= 1.15x tfjs-wasm`,
      pass: fwd.speedupVsTfjsWasm === undefined ? null : fwd.speedupVsTfjsWasm >= 1.15,
      detail: fwd.speedupVsTfjsWasm === undefined ? `n/a ${why}`
        : `${ratio(fwd.speedupVsTfjsWasm)} ` +
        `(ours ${num(f?.gflops)} GFLOP/s ${f?.impl}, tfjs-wasm ` +
        `${num(fwd.results.find((r) => r.impl === 'tfjs-wasm')?.gflops)} GFLOP/s; ` +
        `${ratio(fwd.speedupVsTfjsWasmExclReadback)} without its readback)`,
    });
    for (const dir of ['bwd_input', 'bwd_weight']) {
      const b = bestOf(byId.get(`${base}.${dir}`));
      const have = f?.gflops !== undefined && b?.gflops !== undefined;
      const rel = have ? b!.gflops! / f!.gflops! : undefined;
      out.push({
        name: `${base} ${dir} >= 0.8x our fwd GFLOP/s`,
        pass: rel === undefined ? null : rel >= 0.8,
        detail: rel === undefined ? 'n/a (ours not built or not run)' : `${rel.toFixed(2)}x ` +
          `(${dir} ${num(b!.gflops)} ${b!.impl}, fwd ${num(f!.gflops)} ${f!.impl})`,
      });
    }
  }
  return out;
}

// ---- main ----

async function main(): Promise<void> {
  const started = new Date();
  const machine = await machineInfo();
  console.log(`simdgrad kernel benchmark ${QUICK ? '(--quick) ' : ''}${started.toISOString()}`);
  console.log(`machine: ${describeMachine(machine)}; ${machine.platform}; ${machine.engine}; ` +
    'single thread throughout');

  const runtimes: Runtime[] = [];
  const builds: Record<string, unknown> = {};
  for (const build of ['simd128', 'relaxed'] as const) {
    try {
      const rt = await createRuntime({ build });
      const relaxedFlag = (rt.exports.build_is_relaxed as (() => number) | undefined)?.();
      runtimes.push(rt);
      builds[build] = { loaded: true, build: rt.build, buildIsRelaxedExport: relaxedFlag };
      console.log(`build ${build}: loaded simdgrad.${rt.build}.wasm ` +
        `(build_is_relaxed() = ${relaxedFlag})`);
    } catch (e) {
      builds[build] = { loaded: false, error: errMsg(e) };
      console.log(`build ${build}: UNAVAILABLE - ${errMsg(e)}`);
    }
  }
  if (runtimes.length === 0) {
    throw new Error('no simdgrad build could be loaded; run npm run build');
  }

  const peaks = new Map<BuildName, Peak>();
  console.log('\nsingle-core SIMD peak (warm; fastest sample, median beside it):');
  for (const rt of runtimes) {
    const p = await measurePeak(rt, BASE);
    peaks.set(rt.build, p);
    builds[rt.build] = { ...(builds[rt.build] as object), peak: p };
    console.log(`  ${rt.build.padEnd(8)} simd_peak_loop ${p.loop.gflops.toFixed(2)} GFLOP/s ` +
      `(registers; median ${p.loop.gflopsMedian.toFixed(2)})   simd_peak_tile ` +
      `${p.tile.gflops.toFixed(2)} GFLOP/s (4x8 tile from L1; ` +
      `median ${p.tile.gflopsMedian.toFixed(2)})` +
      `   -> peak ${p.gflops.toFixed(2)}`);
  }

  const tfInfo = await loadTfjs({ wasm: true });
  if (tfInfo.wasm.ok) {
    console.log(`tfjs ${tfInfo.version}: wasm backend loaded ${tfInfo.wasm.binary} ` +
      `(SIMD supported: ${tfInfo.wasm.simdSupported}, multithread supported: ` +
      `${tfInfo.wasm.multithreadSupported}, XNNPACK threads: ${tfInfo.wasm.threads}); ` +
      `cpu backend ` +
      `${NO_CPU ? 'skipped (--no-cpu)' : 'plain JS'}`);
  } else {
    console.log(`tfjs ${tfInfo.version}: wasm backend UNAVAILABLE - ${tfInfo.wasm.error}`);
  }
  console.log('timings: tinybench, one call per sample, warm-up first; tfjs calls include ' +
    'dataSync() of the result and tensor disposal');

  // tfjs-cpu runs after everything else: its garbage (hundreds of MB of JS arrays) must not be
  // collected inside the other timings.
  const cases = CASES.filter((c) => !ONLY || ONLY.some((o) => c.id.startsWith(o)));
  const caseResults: CaseResult[] = [];
  for (const c of cases) {
    const cr: CaseResult = {
      id: c.id, label: c.label, kind: c.kind, flops: flopsOf(c), results: [],
    };
    for (const build of ['simd128', 'relaxed'] as const) {
      const rt = runtimes.find((r) => r.build === build);
      cr.results.push(rt ? await runOurs(rt, c, peaks.get(build)!)
        : { impl: build, status: 'unavailable', note: 'build not loaded' });
    }
    cr.results.push(await runTfjs('wasm', c, tfInfo));
    caseResults.push(cr);
  }
  for (const [i, c] of cases.entries()) {
    const cr = caseResults[i];
    cr.results.push(await runTfjs('cpu', c, tfInfo));
    derive(cr);
    printCase(c, cr);
  }

  printSummary(caseResults);

  const byId = new Map(caseResults.map((cr) => [cr.id, cr]));
  const targetChecks = checks(byId);
  console.log('\ntarget checks (issue):');
  for (const ch of targetChecks) {
    const mark = ch.pass === null ? 'N/A ' : ch.pass ? 'PASS' : 'MISS';
    console.log(`  ${mark}  ${ch.name}: ${ch.detail}`);
  }

  const json = {
    benchmark: 'bench/kernels.ts',
    startedAt: started.toISOString(),
    seconds: +((Date.now() - started.getTime()) / 1000).toFixed(1),
    args,
    machine,
    builds,
    tfjs: tfInfo,
    budget: PLAN,
    cases: caseResults,
    targets: targetChecks,
  };
  const outPath = writeResults(OUT_ARG, 'kernels', QUICK, json);
  console.log(`\nwrote ${outPath} (${json.seconds} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
