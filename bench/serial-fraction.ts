// The serial fraction of a data-parallel training step, from DataParallel.lastStep plus the
// optimizer step (bench/models.ts, ProfiledStep), and Amdahl's projections for more workers.
// Serial: what no worker count shortens (the main thread before and after the shards, the
// messages each way, the reduction, whose every part reads all shards, and the optimizer step on
// the main thread; when the workers make it, its slice is in their reduction time, counted as
// serial although it shrinks with more workers);
// work: the shards' forward + backward summed. Used by bench/scaling.ts; test:
// test/bench/serial-fraction.test.ts.

import type { ProfiledStep } from './models.js';

export interface StepBreakdown {
  workers: number;
  steps: number;
  /** Medians over steps, ms: the whole step with the optimizer, then its parts. */
  stepMs: number;
  prepare: number;
  /** The slowest shard's message out. */
  dispatch: number;
  /** One shard's forward + backward (mean over shards), and the slowest shard's. */
  compute: number;
  computeMax: number;
  /** A shard's wait for the others (mean over shards). */
  meet: number;
  /** The slowest shard's part of the reduction. */
  reduce: number;
  collect: number;
  finish: number;
  optimizer: number;
  /** prepare + dispatch + reduce + collect + finish + optimizer. */
  serial: number;
  /** Forward + backward of all shards together (what more workers divide). */
  work: number;
  /** serial / (serial + work): Amdahl's serial fraction. */
  s: number;
}

function median(v: readonly number[]): number {
  if (v.length === 0) return NaN;
  const a = [...v].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/** The medians of steps' parts (steps of one worker count). */
export function breakdown(steps: readonly ProfiledStep[]): StepBreakdown {
  if (steps.length === 0) throw new RangeError('breakdown: no steps');
  const workers = steps[0].compute.length;
  const m = (f: (p: ProfiledStep) => number): number => median(steps.map(f));
  const serialOf = (p: ProfiledStep): number =>
    p.prepare +
    Math.max(...p.dispatch) +
    Math.max(...p.reduce) +
    p.collect +
    p.finish +
    p.optimizer;
  const workOf = (p: ProfiledStep): number => p.compute.reduce((a, b) => a + b, 0);
  const serial = m(serialOf);
  const work = m(workOf);
  return {
    workers,
    steps: steps.length,
    stepMs: m((p) => p.total + p.optimizer),
    prepare: m((p) => p.prepare),
    dispatch: m((p) => Math.max(...p.dispatch)),
    compute: m((p) => mean(p.compute)),
    computeMax: m((p) => Math.max(...p.compute)),
    meet: m((p) => mean(p.meet)),
    reduce: m((p) => Math.max(...p.reduce)),
    collect: m((p) => p.collect),
    finish: m((p) => p.finish),
    optimizer: m((p) => p.optimizer),
    serial,
    work,
    s: serial / (serial + work),
  };
}

/** Amdahl: the speedup of n workers when a fraction s of the one-worker time is serial. */
export function amdahl(s: number, n: number): number {
  return 1 / (s + (1 - s) / n);
}

/** Karp-Flatt: the serial fraction a measured speedup at n workers implies (everything that did
 * not scale counted as serial, the shards' per-op costs that do not shrink with them included). */
export function karpFlatt(speedup: number, n: number): number {
  return (1 / speedup - 1 / n) / (1 - 1 / n);
}
