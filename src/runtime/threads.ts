// Intra-op parallelism (setNumThreads): a team of helper threads, each with its own instance of
// the kernels over the runtime's shared memory, runs parts of one kernel call (GEMM column or
// row panels; conv images, groups, bands of output rows or output channels) while the calling
// thread runs part 0, as XNNPACK's thread pool does. The bindings (kernels/gemm.ts,
// kernels/conv.ts) decide the parts; here are the team, its control block (Atomics over a
// SharedArrayBuffer, no message per call) and the helpers' loop (thread-worker.ts hosts it in a
// Node worker thread). Node only in this version: a page runs every kernel on its main thread.
// Tests: test/parallel/threads.test.ts.

import { kernel } from './kernels/call.js';
import { isSharedMemory, type Runtime } from './load.js';
import { nodeRuntimeIfLoaded } from './platform.js';
import type { ThreadHandle, ThreadInit } from './thread-types.js';

export type { ThreadHandle, ThreadInit } from './thread-types.js';

/** The kernels a team can run a part of, by index (the control block carries the index). */
export const SPLIT_KERNELS = [
  'gemm_nn', 'gemm_nt', 'gemm_tn', 'gemm_tt',
  'conv2d_fwd_nchw', 'conv2d_bwd_input_nchw', 'conv2d_bwd_weight_nchw', 'copy_strided',
] as const;
export type SplitKernel = (typeof SPLIT_KERNELS)[number];

/** The GEMM micro-kernel's tile (assembly/gemm.ts MR x NR): parts of C cut at multiples of it
 * are computed by the same tiles as the whole. */
export const MR = 4;
export const NR = 8;

/** The most arguments a split kernel takes (conv2d_fwd_nchw: 20). */
export const MAX_SPLIT_ARGS = 24;

export interface ThreadTeam {
  /** Threads usable now, the caller included (1 once the team was stopped). */
  available(): number;
  /** Runs kernel once per argument list, all at the same time: parts[0] on the calling thread,
   * the others on helpers; returns when every part is done, throws when one failed. */
  run(kernel: SplitKernel, parts: number[][]): void;
}

/** Work below this many floating-point operations per part is not split: waking a helper costs
 * tens of microseconds, about 2 MFLOP of kernel time. */
const MIN_PART_FLOPS = 2e6;
let minPartFlops = MIN_PART_FLOPS;
/** Kernel calls split so far (tests check that a case did split). */
let splitCalls = 0;

/** @internal Tests: split work this small (default 2 MFLOP per part), and count splits. */
export const threadTesting = {
  setMinPartFlops(flops?: number): void {
    minPartFlops = flops ?? MIN_PART_FLOPS;
  },
  splitCalls: (): number => splitCalls,
};

/** Into how many parts to split flops of work made of units independent pieces (1 when the
 * runtime has no team). */
export function partCount(rt: Runtime, flops: number, units: number): number {
  const team = teamOf(rt);
  if (!team) return 1;
  return Math.max(1, Math.min(wanted, team.available(), units, Math.floor(flops / minPartFlops)));
}

/** The units [start, end) of part i when units are dealt out in parts as even as can be. */
export function partRange(units: number, parts: number, i: number): [number, number] {
  return [Math.floor((i * units) / parts), Math.floor(((i + 1) * units) / parts)];
}

/** Runs the parts of one kernel call: on the team when there are several, else right here. */
export function runParts(rt: Runtime, name: SplitKernel, parts: number[][]): void {
  const team = teams.get(rt);
  if (parts.length === 1 || !team) {
    const fn = kernel(rt, name) as (...args: number[]) => void;
    for (const args of parts) fn(...args);
    return;
  }
  splitCalls++;
  team.run(name, parts);
}

// ---- the control block: Int32 cells, then each helper's arguments (f64), then its last error.
// DONE counts the parts finished in the current call; helper h's cells sit at SLOT0 + h * SLOT.
const DONE = 0;
const QUIT = 1;
const SLOT0 = 4;
const SLOT = 8;
/** Helper cells: its job sequence number (it waits on this word), the kernel's index in
 * SPLIT_KERNELS (or a FAULT_ for tests), the argument count, its state, its message's length. */
const SEQ = 0;
const KERNEL = 1;
const NARGS = 2;
const STATE = 3;
const MSG_LEN = 4;
// a helper state of 0 (the zeroed control block) means it is starting
const READY = 1;
const START_FAILED = 2;
const JOB_FAILED = 3;
const MSG_BYTES = 1024;
/** Test-only kernels: throw, or hang until told to quit. */
const FAULT_THROW = -1;
const FAULT_HANG = -2;

interface Control {
  i32: Int32Array;
  args: Float64Array;
  msg: Uint8Array;
}

function controlBytes(helpers: number): { argsAt: number; msgAt: number; total: number } {
  const argsAt = Math.ceil(((SLOT0 + helpers * SLOT) * 4) / 8) * 8;
  const msgAt = argsAt + helpers * MAX_SPLIT_ARGS * 8;
  return { argsAt, msgAt, total: msgAt + helpers * MSG_BYTES };
}

function controlViews(buffer: SharedArrayBuffer, helpers: number): Control {
  const { argsAt, msgAt } = controlBytes(helpers);
  return {
    i32: new Int32Array(buffer, 0, SLOT0 + helpers * SLOT),
    args: new Float64Array(buffer, argsAt, helpers * MAX_SPLIT_ARGS),
    msg: new Uint8Array(buffer, msgAt, helpers * MSG_BYTES),
  };
}

function writeMessage(ctl: Control, h: number, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, MSG_BYTES);
  ctl.msg.set(bytes, h * MSG_BYTES);
  ctl.i32[SLOT0 + h * SLOT + MSG_LEN] = bytes.length;
}

function readMessage(ctl: Control, h: number): string {
  const len = ctl.i32[SLOT0 + h * SLOT + MSG_LEN];
  // TextDecoder refuses views of shared memory: copy first
  return new TextDecoder().decode(ctl.msg.slice(h * MSG_BYTES, h * MSG_BYTES + len));
}

/**
 * A helper's life: instantiate the kernels over the shared memory, say READY, then run every
 * part posted to it until QUIT. Nothing it runs can throw out of the loop: an error is written
 * to its cells for the calling thread to report.
 */
export function serveThread(init: ThreadInit): void {
  const ctl = controlViews(init.control, init.helpers);
  const h = init.index;
  const at = SLOT0 + h * SLOT;
  let fns: ((...args: number[]) => void)[];
  try {
    const abort = (): never => {
      throw new Error('the kernels aborted');
    };
    const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort } });
    fns = SPLIT_KERNELS.map((name) => instance.exports[name] as (...args: number[]) => void);
  } catch (e) {
    writeMessage(ctl, h, String(e));
    Atomics.store(ctl.i32, at + STATE, START_FAILED);
    Atomics.notify(ctl.i32, at + STATE);
    return;
  }
  Atomics.store(ctl.i32, at + STATE, READY);
  Atomics.notify(ctl.i32, at + STATE);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl.i32, at + SEQ, seen);
    if (Atomics.load(ctl.i32, QUIT)) return;
    const seq = Atomics.load(ctl.i32, at + SEQ);
    if (seq === seen) continue;
    seen = seq;
    const k = ctl.i32[at + KERNEL];
    const args = Array.from(ctl.args.subarray(h * MAX_SPLIT_ARGS, h * MAX_SPLIT_ARGS + ctl.i32[at + NARGS]));
    let state = READY;
    try {
      if (k === FAULT_THROW) throw new Error('injected fault (test)');
      if (k === FAULT_HANG) Atomics.wait(ctl.i32, QUIT, 0, 60_000);
      else fns[k](...args);
    } catch (e) {
      writeMessage(ctl, h, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      state = JOB_FAILED;
    }
    Atomics.store(ctl.i32, at + STATE, state);
    Atomics.add(ctl.i32, DONE, 1);
    Atomics.notify(ctl.i32, DONE);
  }
}

/** How long the calling thread waits for helpers to start, and for a part to finish, before it
 * gives up on the team (a helper that died cannot say so while the caller is blocked). */
const START_TIMEOUT_MS = 30_000;
let partTimeoutMs = 120_000;

class Team implements ThreadTeam {
  private readonly ctl: Control;
  private readonly threads: ThreadHandle[] = [];
  private closed = false;

  constructor(readonly rt: Runtime, readonly size: number) {
    const helpers = size - 1;
    const node = nodeRuntimeIfLoaded();
    if (!node) throw new Error('simdgrad: intra-op threads need Node in this version');
    const control = new SharedArrayBuffer(controlBytes(helpers).total);
    this.ctl = controlViews(control, helpers);
    try {
      for (let h = 0; h < helpers; h++) {
        this.threads.push(node.startThread({ module: rt.module, memory: rt.heap.memory, control,
          helpers, index: h }));
      }
      this.awaitStart();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Blocks until every helper is READY (Atomics.wait: Node's main thread may block; the
   * helpers start on their own threads meanwhile). */
  private awaitStart(): void {
    const t0 = Date.now();
    for (let h = 0; h < this.size - 1; h++) {
      const at = SLOT0 + h * SLOT + STATE;
      for (;;) {
        const state = Atomics.load(this.ctl.i32, at);
        if (state === READY) break;
        if (state === START_FAILED) {
          throw new Error(`simdgrad: intra-op thread ${h + 2} of ${this.size} could not start: ` +
            readMessage(this.ctl, h));
        }
        const left = START_TIMEOUT_MS - (Date.now() - t0);
        if (left <= 0) {
          throw new Error(`simdgrad: intra-op thread ${h + 2} of ${this.size} did not start in ` +
            `${START_TIMEOUT_MS / 1000} s`);
        }
        Atomics.wait(this.ctl.i32, at, state, Math.min(left, 100));
      }
    }
  }

  available(): number {
    return this.closed ? 1 : this.size;
  }

  run(name: SplitKernel, parts: number[][]): void {
    this.dispatch(SPLIT_KERNELS.indexOf(name), name, parts);
  }

  /** Posts parts 1.. to helpers 0.., runs part 0 here, waits for the rest; kernel < 0 is a
   * test fault. */
  dispatch(k: number, name: string, parts: number[][]): void {
    const { i32, args } = this.ctl;
    if (parts.length > this.size) throw new Error(`simdgrad: ${parts.length} parts for ${this.size} threads`);
    Atomics.store(i32, DONE, 0);
    for (let j = 1; j < parts.length; j++) {
      const h = j - 1;
      const at = SLOT0 + h * SLOT;
      args.set(parts[j], h * MAX_SPLIT_ARGS);
      i32[at + KERNEL] = k;
      i32[at + NARGS] = parts[j].length;
      Atomics.add(i32, at + SEQ, 1);
      Atomics.notify(i32, at + SEQ);
    }
    let own: unknown = null;
    try {
      if (k >= 0) (kernel(this.rt, name as SplitKernel) as (...a: number[]) => void)(...parts[0]);
    } catch (e) {
      own = e;
    }
    this.awaitParts(parts.length - 1, name);
    if (own) throw own;
    for (let h = 0; h < parts.length - 1; h++) {
      if (i32[SLOT0 + h * SLOT + STATE] === JOB_FAILED) {
        i32[SLOT0 + h * SLOT + STATE] = READY;
        throw new Error(`simdgrad: intra-op thread ${h + 2} of ${this.size} failed in ${name}: ` +
          readMessage(this.ctl, h));
      }
    }
  }

  private awaitParts(n: number, name: string): void {
    const t0 = Date.now();
    for (;;) {
      const done = Atomics.load(this.ctl.i32, DONE);
      if (done >= n) return;
      const left = partTimeoutMs - (Date.now() - t0);
      if (left <= 0) {
        this.close();
        if (teams.get(this.rt) === this) teams.delete(this.rt);
        wanted = 1;
        throw new Error(`simdgrad: ${n - done} intra-op thread(s) did not finish ${name} in ` +
          `${partTimeoutMs / 1000} s; the team was stopped, kernels now run on one thread`);
      }
      Atomics.wait(this.ctl.i32, DONE, done, Math.min(left, 1000));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl.i32, QUIT, 1);
    Atomics.notify(this.ctl.i32, QUIT);
    for (let h = 0; h < this.size - 1; h++) Atomics.notify(this.ctl.i32, SLOT0 + h * SLOT + SEQ);
    for (const t of this.threads) t.terminate();
  }
}

// ---- public API (PyTorch: torch.set_num_threads / torch.get_num_threads)

let wanted = 1;
const teams = new Map<Runtime, Team>();

/**
 * Sets how many threads one kernel call may use (PyTorch: `torch.set_num_threads`): large GEMMs
 * and convolutions are split across n threads over the shared Wasm memory, with results
 * bit-identical to one thread. Default 1. Helpers start at the first kernel call that splits and
 * stop with `setNumThreads(1)`; they never keep Node running. Node only in this version, and
 * only over a shared memory (a page, or kernels given as a compiled private-memory Module,
 * compute on one thread whatever n is); data-parallel workers always use one thread.
 *
 * @example
 * setNumThreads(2);
 * const probs = predict(model, image);    // batch 1, both cores
 */
export function setNumThreads(n: number): void {
  checkThreads('setNumThreads', 'n', n);
  wanted = n;
  for (const [rt, team] of [...teams]) {
    if (team.size !== n) {
      team.close();
      teams.delete(rt);
    }
  }
}

function checkThreads(op: string, name: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    const got = typeof n === 'number' ? String(n) : `${typeof n} ${String(n)}`;
    throw new RangeError(`${op}: ${name} must be a positive integer, got ${got}`);
  }
}

/**
 * fn() with n threads per kernel call, then the setting as it was; unlike setNumThreads, a
 * larger team already started is kept (and reused) rather than stopped.
 */
export function withNumThreads<T>(op: string, n: number, fn: () => T): T {
  checkThreads(op, 'threads', n);
  const before = wanted;
  wanted = n;
  try {
    return fn();
  } finally {
    wanted = before;
  }
}

/** The number of threads set by setNumThreads (default 1). */
export function getNumThreads(): number {
  return wanted;
}

/** rt's team, started here on first use; null where kernels run on one thread. */
function teamOf(rt: Runtime): Team | null {
  if (wanted <= 1 || rt.joined || !isSharedMemory(rt.heap.memory) || !nodeRuntimeIfLoaded()) {
    return null;
  }
  let team = teams.get(rt);
  if (team && team.size < wanted) {
    team.close();
    teams.delete(rt);
    team = undefined;
  }
  if (!team) {
    try {
      team = new Team(rt, wanted);
    } catch (e) {
      wanted = 1;
      throw new Error(`${(e as Error).message}; kernels now run on one thread`);
    }
    teams.set(rt, team);
  }
  return team;
}

/** @internal Tests: make the helpers of rt's team fail ('throw') or hang, with partTimeout (ms)
 * for the wait; returns the error the call threw. */
export function injectThreadFault(rt: Runtime, fault: 'throw' | 'hang', timeoutMs?: number): unknown {
  const team = teamOf(rt);
  if (!team) throw new Error('injectThreadFault: no team (setNumThreads(n > 1) first)');
  const saved = partTimeoutMs;
  partTimeoutMs = timeoutMs ?? saved;
  try {
    const parts = Array.from({ length: team.size }, () => []);
    team.dispatch(fault === 'throw' ? FAULT_THROW : FAULT_HANG, `fault '${fault}'`, parts);
    return null;
  } catch (e) {
    return e;
  } finally {
    partTimeoutMs = saved;
  }
}
