// One kernel case of bench/shapes.ts timed on one implementation: ours (a build's binding,
// GFLOP/s and fraction of that build's peak) or a TF.js backend (its kernel through
// engine.runKernel, the result read back with dataSync). Used by `simdgrad bench` and its
// kernels suite; the peer must have been loaded (loadTfjs) and the case's shapes fit memory.

import type { BuildName, Runtime } from '../src/runtime/load.js';
import {
  errorMessage,
  gbps,
  gflops,
  scaleTiming,
  timeCall,
  type Budget,
  type TimePlan,
  type Timing,
} from './measure.js';
import { ourTask } from './ours.js';
import { readbackTiming, tfjsTask, timed, useBackend, type TfBackend } from './peers/tfjs.js';
import { flopsOf, type BenchCase } from './shapes.js';

export type KernelImpl = BuildName | 'tfjs-wasm' | 'tfjs-cpu';

/** ok: timed. not built: our build lacks the export. missing: the peer has no such kernel.
 * not installed: the peer's package is absent. unavailable: installed but failed to start. */
export type KernelStatus =
  | 'ok'
  | 'not built'
  | 'missing'
  | 'not installed'
  | 'unavailable'
  | 'skipped'
  | 'error';

export interface KernelImplResult {
  impl: KernelImpl;
  status: KernelStatus;
  /** The kernel that ran: our export name or the TF.js kernel name. */
  kernel?: string;
  note?: string;
  timing?: Timing;
  /** GEMM and conv: flops / median time. */
  gflops?: number;
  /** Pooling and element-wise: bytes moved / median time. */
  gbps?: number;
  bytes?: number;
  /** Ours: gflops / that build's measured peak. */
  fractionOfPeak?: number;
  /** tfjs-cpu: timed at this batch instead of the case's N, times scaled by N / batch. */
  scaledFromBatch?: number;
  /** tfjs-wasm: median of dataSync() alone on the result, included in timing. */
  readbackMs?: number;
}

export interface KernelPlan extends TimePlan {
  /** tfjs-cpu: a conv or pool case whose full batch would take longer than this a call is
   * timed at a batch of about cpuTargetMs a call instead, its times scaled (linear in N). */
  cpuFullMaxMs: number;
  cpuTargetMs: number;
}

export type Progress = (msg: string) => void;

function fill(
  r: KernelImplResult,
  c: BenchCase,
  timing: Timing,
  bytes: number | undefined,
  peakGflops?: number
): void {
  r.timing = timing;
  if (c.kind === 'pool' || c.kind === 'eltwise') {
    r.bytes = bytes;
    if (bytes) r.gbps = gbps(bytes, timing.medianMs);
    return;
  }
  r.gflops = gflops(flopsOf(c), timing.medianMs);
  if (peakGflops) r.fractionOfPeak = r.gflops / peakGflops;
}

/** Our kernel for case c on runtime rt (its build names the result). */
export async function runOurKernel(
  rt: Runtime,
  c: BenchCase,
  peakGflops: number | undefined,
  plan: TimePlan,
  progress: Progress
): Promise<KernelImplResult> {
  const r: KernelImplResult = { impl: rt.build, status: 'ok' };
  let task;
  try {
    task = ourTask(rt, c);
  } catch (e) {
    return { ...r, status: 'error', note: errorMessage(e) };
  }
  r.kernel = task.kernel;
  if (task.status !== 'ok') return { ...r, status: task.status, note: task.note };
  try {
    const { timing, note } = await timeCall(`${rt.build} ${c.id}`, task.run, plan);
    fill(r, c, timing, task.bytes, peakGflops);
    if (note) r.note = note;
    progress(`${rt.build.padEnd(9)} ${c.id}: ${timing.medianMs.toFixed(3)} ms`);
  } catch (e) {
    return { ...r, status: 'error', note: errorMessage(e) };
  } finally {
    task.dispose();
  }
  return r;
}

/** tfjs-cpu's conv backprop-filter runs ~10 MFLOP/s (minutes at batch 64): the batch (first
 * dim: images, softmax rows) to time a conv, pool or element-wise case at when its full batch
 * would take over cpuFullMaxMs; undefined keeps it. */
function cpuBatch(c: BenchCase, plan: KernelPlan): number | undefined {
  if (c.kind === 'gemm') return undefined;
  const task = tfjsTask('cpu', c, 1);
  if (task.status !== 'ok') return undefined;
  const run = timed(task.op, task.readback);
  let perImage = Infinity;
  try {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      run();
      perImage = Math.min(perImage, performance.now() - t0);
    }
  } finally {
    task.dispose();
  }
  const n = c.x[0];
  if (perImage * n <= plan.cpuFullMaxMs) return undefined;
  return Math.max(1, Math.min(n, Math.floor(plan.cpuTargetMs / perImage)));
}

/** Case c on TF.js backend b; with readback, also how much of a call is dataSync() alone. */
export async function runTfjsKernel(
  b: TfBackend,
  c: BenchCase,
  plan: KernelPlan,
  progress: Progress,
  readback?: Budget
): Promise<KernelImplResult> {
  const impl: KernelImpl = `tfjs-${b}`;
  const r: KernelImplResult = { impl, status: 'ok' };
  let task;
  try {
    await useBackend(b);
    task = tfjsTask(b, c);
  } catch (e) {
    return { ...r, status: 'error', note: errorMessage(e) };
  }
  r.kernel = task.kernel;
  if (task.status !== 'ok') return { ...r, status: task.status, note: task.note };
  let scale = 1;
  try {
    const batch = b === 'cpu' ? cpuBatch(c, plan) : undefined;
    if (batch !== undefined) {
      task.dispose();
      task = tfjsTask(b, c, batch);
      if (task.status !== 'ok') throw new Error(`${c.id} at batch ${batch}: ${task.note}`);
      scale = (c as { x: number[] }).x[0] / batch;
      r.scaledFromBatch = batch;
    }
    const { timing, note } = await timeCall(`${impl} ${c.id}`, timed(task.op, task.readback), plan);
    fill(r, c, scaleTiming(timing, scale), task.bytes);
    const notes = [
      batch === undefined
        ? ''
        : `timed at batch ${batch} of ` +
          `${(c as { x: number[] }).x[0]}, times x${scale.toFixed(1)}`,
      note ?? '',
      task.readback ? '' : 'timed without reading the result back (dataSync)',
    ];
    if (notes.some(Boolean)) r.note = notes.filter(Boolean).join('; ');
    // The cpu backend hands back its own array; wasm copies the result out of its heap.
    if (b === 'wasm' && readback && task.readback)
      r.readbackMs = (await readbackTiming(task.op, readback)).medianMs;
    progress(`${impl.padEnd(9)} ${c.id}: ${timing.medianMs.toFixed(3)} ms`);
  } catch (e) {
    return { ...r, status: 'error', note: errorMessage(e) };
  } finally {
    if (task.status === 'ok') task.dispose();
  }
  return r;
}
