// The timer under every simdgrad benchmark: warm-up (V8 tiers Wasm up from Liftoff to TurboFan
// while it runs), then samples of one call each; reports the median with p25/p75 and the median
// absolute deviation, which a noisy shared machine disturbs less than mean and stddev. Written
// here rather than taken from a package so the harness has no dependency and a page loads it
// without an import map. Used by `simdgrad bench` (bench/report.ts) and its suites.

/** How long to sample one task: calls go on until both time and iterations are reached. */
export interface Budget {
  timeMs: number;
  iterations: number;
  warmupMs: number;
  warmupIterations: number;
}

export function budget(
  timeMs: number,
  iterations: number,
  warmupMs: number,
  warmupIterations: number
): Budget {
  return { timeMs, iterations, warmupMs, warmupIterations };
}

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Sample statistics of one task, in milliseconds per call. */
export interface Timing {
  medianMs: number;
  p25Ms: number;
  p75Ms: number;
  /** Median absolute deviation from the median, unscaled. */
  madMs: number;
  minMs: number;
  samples: number;
}

let gc: (() => void) | undefined;
let gcReady: Promise<void> | undefined;

/** Node: V8's gc() through --expose-gc set at run time; elsewhere nothing. */
async function setupGc(): Promise<void> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return;
  const v8 = await import(/* @vite-ignore */ 'node:v8');
  const vm = await import(/* @vite-ignore */ 'node:vm');
  v8.setFlagsFromString('--expose-gc');
  const f = vm.runInNewContext('gc') as unknown;
  if (typeof f === 'function') gc = f as () => void;
}

/** A full collection before a task, so one task's garbage is not collected in the next (a
 * no-op until the first measure() or prepareMeasure() has set it up). */
export function collectGarbage(): void {
  gc?.();
}

/** Sets up collectGarbage(); measure() calls it itself. */
export async function prepareMeasure(): Promise<void> {
  gcReady ??= setupGc();
  await gcReady;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samplesMs: readonly number[]): Timing {
  const s = [...samplesMs].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  const dev = s.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  return {
    medianMs: median,
    p25Ms: quantile(s, 0.25),
    p75Ms: quantile(s, 0.75),
    madMs: quantile(dev, 0.5),
    minMs: s[0],
    samples: s.length,
  };
}

/** Every time of t multiplied by s (a timing taken at a smaller batch, scaled up). */
export function scaleTiming(t: Timing, s: number): Timing {
  if (s === 1) return t;
  return {
    ...t,
    medianMs: t.medianMs * s,
    p25Ms: t.p25Ms * s,
    p75Ms: t.p75Ms * s,
    madMs: t.madMs * s,
    minMs: t.minMs * s,
  };
}

/** Calls fn until both timeMs and iterations are reached; the per-call times in ms. */
async function sample(
  fn: () => void | Promise<void>,
  timeMs: number,
  iterations: number,
  isAsync: boolean,
  keep: boolean
): Promise<number[]> {
  const out: number[] = [];
  const start = performance.now();
  for (let i = 0; i < iterations || performance.now() - start < timeMs; i++) {
    const t0 = performance.now();
    if (isAsync) await fn();
    else fn();
    if (keep) out.push(performance.now() - t0);
  }
  return out;
}

/** Times fn (it does all its work before returning or resolving) under budget. */
export async function measure(
  name: string,
  fn: () => void | Promise<void>,
  budget: Budget,
  isAsync = false
): Promise<Timing> {
  await prepareMeasure();
  collectGarbage();
  try {
    await sample(fn, budget.warmupMs, budget.warmupIterations, isAsync, false);
    const samples = await sample(fn, budget.timeMs, budget.iterations, isAsync, true);
    if (samples.length === 0) throw new Error('no samples (a budget of 0 ms and 0 iterations)');
    return summarize(samples);
  } catch (e) {
    throw new Error(`bench ${name}: ${errorMessage(e)}`, { cause: e });
  }
}

/** How timeCall picks a budget from the probe calls' time. */
export interface TimePlan {
  /** Calls up to slowAboveMs. */
  base: Budget;
  /** Calls slower than slowAboveMs: a few samples. */
  slow: Budget;
  slowAboveMs: number;
  /** A probe slower than this was the warm-up: one more call is the only sample. */
  oneShotAboveMs?: number;
  /** Untimed probe calls first (also warm-up; the first call of anything is cold); with none,
   * oneShotAboveMs and slowAboveMs do not apply. */
  probes: number;
}

/** Probe calls, then measure() under the budget the probe's time calls for. */
export async function timeCall(
  name: string,
  run: () => void | Promise<void>,
  plan: TimePlan,
  isAsync = false
): Promise<{ timing: Timing; note?: string }> {
  await prepareMeasure();
  collectGarbage();
  let probe = plan.probes > 0 ? Infinity : 0;
  for (let i = 0; i < plan.probes; i++) {
    const t0 = performance.now();
    await run();
    probe = Math.min(probe, performance.now() - t0);
  }
  if (plan.oneShotAboveMs !== undefined && probe > plan.oneShotAboveMs) {
    collectGarbage();
    const t1 = performance.now();
    await run();
    return {
      timing: summarize([performance.now() - t1]),
      note: `one timed call after a warm-up (> ${plan.oneShotAboveMs / 1000} s a call)`,
    };
  }
  return {
    timing: await measure(name, run, probe > plan.slowAboveMs ? plan.slow : plan.base, isAsync),
  };
}

export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

export function gbps(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

/** Relative spread of a timing: (p75 - p25) / median. */
export function spread(t: Timing): number {
  return t.medianMs > 0 ? (t.p75Ms - t.p25Ms) / t.medianMs : 0;
}
