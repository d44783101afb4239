// `simdgrad bench --suite scaling [--quick] [--rounds N] [--workers 1,2] [--shards N]
// [--cases small-cnn:64,lenet5:128] [--json file]` (runScaling; also `node dist/bench/scaling.js`
// with the same options, --out for --json):
// data-parallel training images/s (forward + backward + Adam, real MNIST batches) per worker
// count (default 1 and powers of two up to the available parallelism), in alternating rounds
// (1, 2, 2, 1, ...) so a shared, noisy machine weighs on every count alike; per round and the
// median over rounds, the ratio to one worker, and the load average at each round (issue 16,
// target 2: 2 workers >= 1.95x one). For each count above one, where a step's time went
// (DataParallel.lastStep and the optimizer step), its serial fraction s and Amdahl's projection
// for 4, 8 and 16 workers, beside the Karp-Flatt fraction the measured speedup implies
// (bench/serial-fraction.ts). Ours only, no peers. Results: scaling.json (scaling.quick.json
// with --quick) in bench/results/.

import os from 'node:os';
import { runIfMain, scriptArgs, writeResults } from './suites/common.js';
import { init } from '../src/index.js';
import { describeMachine, machineInfo } from './machine.js';
import { budget } from './measure.js';
import { mnistBatches, timeOursModel, type ProfiledStep } from './models.js';
import { amdahl, breakdown, karpFlatt, type StepBreakdown } from './serial-fraction.js';

const PROJECT = [4, 8, 16];

function defaultWorkers(): string {
  const out = [1];
  while (out[out.length - 1] * 2 <= os.availableParallelism()) out.push(out[out.length - 1] * 2);
  return (out.length > 1 ? out : [1, 2]).join(',');
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const f = (v: number | undefined, d = 2): string =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d);

/** Prints where a step of b.workers went, the serial fraction and the projections. */
function serialRow(b: StepBreakdown, overOne: number | undefined, oneMs: number | undefined) {
  const kf = overOne ? karpFlatt(overOne, b.workers) : undefined;
  const projections = PROJECT.map((n) => ({
    workers: n,
    amdahl: amdahl(b.s, n),
    karpFlatt: kf === undefined ? undefined : amdahl(kf, n),
  }));
  console.log(
    `    ${b.workers} workers, ms per step (medians of ${b.steps} steps): step ` +
      `${f(b.stepMs)}${oneMs ? ` (1 thread ${f(oneMs)})` : ''} = main before ${f(b.prepare)} + ` +
      `message out ${f(b.dispatch)} + shard fwd/bwd ${f(b.compute)} (slowest ${f(b.computeMax)}; ` +
      `all shards ${f(b.work)}${oneMs ? `, ${f(b.work / oneMs)}x one thread's step` : ''}) + ` +
      `meet ${f(b.meet)} + reduce ${f(b.reduce)} + message back ${f(b.collect)} + main after ` +
      `${f(b.finish)} + optimizer ${f(b.optimizer)}`
  );
  console.log(
    `      serial ${f(b.serial)} ms: s = ${f(b.s, 3)}; Amdahl ` +
      projections.map((p) => `${p.workers}w ${f(p.amdahl)}x`).join(', ') +
      (kf === undefined
        ? ''
        : `; Karp-Flatt e = ${f(kf, 3)} from the measured ${f(overOne)}x: ` +
          projections.map((p) => `${p.workers}w ${f(p.karpFlatt)}x`).join(', '))
  );
  return { ...b, karpFlatt: kf, projections };
}

/** Runs the scaling benchmark with a script's arguments (see the header), prints it and writes
 * its JSON; returns what it wrote. */
export async function runScaling(args: string[]): Promise<Record<string, unknown>> {
  const cli = scriptArgs(args);
  const quick = cli.quick;
  const argValue = cli.value;
  const rounds = Number(argValue('rounds') ?? (quick ? 2 : 6));
  const workers = (argValue('workers') ?? defaultWorkers()).split(',').map(Number);
  /** Batch shards per step (DataParallel's shards; default one per worker). */
  const shards = argValue('shards') === undefined ? undefined : Number(argValue('shards'));
  const cases = (argValue('cases') ?? 'small-cnn:64,lenet5:128').split(',').map((c) => {
    const [model, batch] = c.split(':');
    return { model, batch: Number(batch ?? 64) };
  });
  const timed = quick ? budget(1000, 6, 300, 2) : budget(3000, 15, 800, 3);
  const plan = { base: timed, slow: timed, slowAboveMs: Infinity, probes: 2 };
  const machine = await machineInfo();
  const { build } = await init();
  console.log(
    `data-parallel scaling, ${rounds} alternating rounds, ${build} build, ` +
      `${shards ? `${shards} shards per step` : 'one shard per worker'}, ` +
      `${new Date().toISOString()}\nmachine: ${describeMachine(machine)}`
  );
  const data = await mnistBatches(Math.max(...cases.map((c) => c.batch)), 8);
  const results = cases.map((c) => ({
    ...c,
    imagesPerSecond: workers.map(() => [] as number[]),
    steps: workers.map(() => [] as ProfiledStep[]),
    loads: [] as number[],
  }));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...workers.keys()].reverse() : [...workers.keys()];
    for (const res of results) {
      res.loads.push(os.loadavg()[0]);
      for (const k of order) {
        const t = await timeOursModel(
          res.model,
          'train',
          res.batch,
          workers[k],
          data,
          plan,
          shards
        );
        res.imagesPerSecond[k].push(t.imagesPerSecond);
        res.steps[k].push(...(t.steps ?? []));
        console.log(
          `  round ${r + 1} ${res.model} b${res.batch} ${workers[k]} worker(s): ` +
            `${t.imagesPerSecond.toFixed(0)} img/s (load ${os.loadavg()[0].toFixed(1)})`
        );
      }
    }
  }
  console.log(
    '\nmedians over rounds (img/s; x = over 1 worker, the median of the per-round ratios):'
  );
  const summary = results.map((res) => {
    const one = workers.indexOf(1);
    const rows = workers.map((w, k) => {
      const ratios =
        one >= 0 ? res.imagesPerSecond[k].map((v, i) => v / res.imagesPerSecond[one][i]) : [];
      return {
        workers: w,
        imagesPerSecond: median(res.imagesPerSecond[k]),
        overOne: ratios.length ? median(ratios) : undefined,
        perRound: res.imagesPerSecond[k],
      };
    });
    console.log(
      `  ${res.model} b${res.batch}: ` +
        rows
          .map(
            (x) =>
              `${x.workers}w ` +
              `${x.imagesPerSecond.toFixed(0)}${x.overOne ? ` (${x.overOne.toFixed(2)}x)` : ''}`
          )
          .join(', ') +
        `; load ${res.loads.map((l) => l.toFixed(1)).join(' ')}`
    );
    const oneMs = one >= 0 ? (1000 * res.batch) / rows[one].imagesPerSecond : undefined;
    const parts = workers
      .map((w, k) =>
        w > 1 && res.steps[k].length > 0
          ? serialRow(breakdown(res.steps[k]), rows[k].overOne, oneMs)
          : undefined
      )
      .filter((x) => x !== undefined);
    return {
      model: res.model,
      batch: res.batch,
      loads: res.loads,
      oneWorkerStepMs: oneMs,
      rows,
      serial: parts,
    };
  });
  const json = {
    benchmark: 'bench/scaling.ts',
    startedAt: new Date().toISOString(),
    args,
    machine,
    build,
    rounds,
    shards,
    summary,
  };
  const out = writeResults({ json: argValue('out'), quick, peers: [] }, 'scaling', json);
  if (out) console.log(`\nwrote ${out}`);
  return json;
}

runIfMain(import.meta.url, () => runScaling(process.argv.slice(2)));
