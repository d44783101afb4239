// tinybench wrapper for the kernel benchmarks: warm-up (V8 tiers Wasm up from Liftoff to TurboFan
// while it runs), then samples of one call each; reports the median with p25/p75 and the median
// absolute deviation, which a noisy shared machine disturbs less than mean and stddev.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

/** A full collection before each task, so one task's garbage is not collected in the next. */
export function collectGarbage(): void {
  if (typeof gc === 'function') gc();
}

/** How long to sample one task: tinybench runs until both time and iterations are reached. */
export interface Budget {
  timeMs: number;
  iterations: number;
  warmupMs: number;
  warmupIterations: number;
}

export interface Timing {
  medianMs: number;
  p25Ms: number;
  p75Ms: number;
  /** Median absolute deviation from the median, unscaled. */
  madMs: number;
  minMs: number;
  samples: number;
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

/** Times fn (synchronous, does all its work before returning) under budget. */
export async function measure(name: string, fn: () => void | Promise<void>, budget: Budget,
  isAsync = false): Promise<Timing> {
  collectGarbage();
  const bench = new Bench({
    name,
    time: budget.timeMs,
    iterations: budget.iterations,
    warmupTime: budget.warmupMs,
    warmupIterations: budget.warmupIterations,
    retainSamples: true,
    throws: true,
  });
  bench.add(name, fn, { async: isAsync });
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') {
    const err = 'error' in result ? `: ${result.error.message}` : '';
    throw new Error(`bench ${name} ended ${result.state}${err}`);
  }
  const samples = result.latency.samples;
  if (!samples || samples.length === 0) throw new Error(`bench ${name}: no samples retained`);
  return summarize(samples);
}

export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

export function gbps(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}
