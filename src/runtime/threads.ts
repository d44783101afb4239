// Intra-op parallelism (setNumThreads): a team of helper threads, each with its own instance of
// the kernels over the runtime's shared memory, runs parts of one kernel call (GEMM column or
// row panels; conv images, groups, bands of output rows or output channels; ranges of elements,
// channels or planes of the element-wise kernels of inference) while the calling thread runs
// part 0, as XNNPACK's thread pool does. The bindings (kernels/gemm.ts, conv.ts, pointwise.ts,
// norm.ts, pool.ts) decide the parts; here is the team; the control block (Atomics over a
// SharedArrayBuffer, no message per call) and the helpers' loop are in thread-core.ts, hosted by
// a Node worker thread (thread-worker.ts) or, in a cross-origin isolated page, a module Web
// Worker (thread-web-worker.ts). Tests: test/parallel/threads.test.ts,
// test/browser/threads.test.ts.

import { kernel } from './kernels/call.js';
import { isSharedMemory, type Runtime } from './load.js';
import { canStartWebThreads, loadWebThreads, nodeRuntimeIfLoaded } from './platform.js';
import {
  DONE,
  FAULT_HANG,
  FAULT_THROW,
  JOB_FAILED,
  MAX_SPLIT_ARGS,
  PARTS_RUN,
  QUIT,
  READY,
  SEQ,
  SEQUENCE,
  KERNEL,
  NARGS,
  SLOT,
  SLOT0,
  SPLIT_KERNELS,
  START_FAILED,
  STATE,
  controlBytes,
  controlViews,
  readMessage,
  type Control,
  type SplitKernel,
  type ThreadHandle,
  type ThreadInit,
} from './thread-core.js';

export { MAX_SPLIT_ARGS, SPLIT_KERNELS, type SplitKernel } from './thread-core.js';

/** The GEMM micro-kernel's tile (assembly/gemm.ts MR x NR): parts of C cut at multiples of it
 * are computed by the same tiles as the whole. */
export const MR = 4;
export const NR = 8;

export interface ThreadTeam {
  /** Threads usable now, the caller included (1 once the team was stopped). */
  available(): number;
  /** Runs the parts all at the same time: parts[0] on the calling thread, the others on
   * helpers; a part is one or more kernel calls run in order. Returns when every part is done,
   * throws when one failed. */
  run(parts: PartCalls[]): void;
}

/** The kernel calls of one part, run in order on one thread: [kernel, arguments]. */
export type PartCalls = [SplitKernel, number[]][];

/** Work below this many floating-point operations per part is not split: waking a helper costs
 * tens of microseconds, about 2 MFLOP of kernel time. */
const MIN_PART_FLOPS = 2e6;
let minPartFlops = MIN_PART_FLOPS;
/** Kernel calls split so far (tests check that a case did split), and the parts run by the
 * helpers of teams stopped since. */
let splitCalls = 0;
let retiredHelperParts = 0;

/** @internal Tests: split work this small (default 2 MFLOP per part), and count splits. */
export const threadTesting = {
  setMinPartFlops(flops?: number): void {
    minPartFlops = flops ?? MIN_PART_FLOPS;
  },
  splitCalls: (): number => splitCalls,
  /** Parts run so far by helper threads (not by the calling thread), in every team. */
  helperParts: (): number =>
    [...teams.values()].reduce((n, t) => n + t.partsRunByHelpers(), retiredHelperParts),
};

/** Into how many parts to split flops of work made of units independent pieces (1 when the
 * runtime has no team). */
export function partCount(rt: Runtime, flops: number, units: number): number {
  const team = teamOf(rt);
  if (!team) return 1;
  return Math.max(1, Math.min(wanted, team.available(), units, Math.floor(flops / minPartFlops)));
}

/** An element-wise kernel's element counts as this many flops against MIN_PART_FLOPS: a part
 * gets at least 200K elements. A helper's part starts some 50-100 us late (its wake-up), about
 * the time of 150K elements: ResNet-18's 100K-element parts (a ReLU of layer1 on 2 threads)
 * took longer split than whole; its 400K-element ones (after conv1) a third less. */
const ELEMENT_FLOPS = 10;

/** partCount for element-wise work over elements values made of units independent pieces. */
export function elementParts(rt: Runtime, elements: number, units: number): number {
  return partCount(rt, elements * ELEMENT_FLOPS, units);
}

/** The units [start, end) of part i when units are dealt out in parts as even as can be. */
export function partRange(units: number, parts: number, i: number): [number, number] {
  return [Math.floor((i * units) / parts), Math.floor(((i + 1) * units) / parts)];
}

/** Runs the parts of one kernel call: on the team when there are several, else right here. */
export function runParts(rt: Runtime, name: SplitKernel, parts: number[][]): void {
  runPartCalls(
    rt,
    parts.map((args) => [[name, args]])
  );
}

/** Runs parts of several kernel calls each (one dispatch, one wake-up of each helper): part i's
 * calls in order on one thread; the parts must be independent of each other. */
export function runPartCalls(rt: Runtime, parts: PartCalls[]): void {
  const team = teams.get(rt);
  if (parts.length === 1 || !team) {
    for (const calls of parts) {
      for (const [name, args] of calls) (kernel(rt, name) as (...a: number[]) => void)(...args);
    }
    return;
  }
  splitCalls++;
  team.run(parts);
}

/** How long the calling thread waits for helpers to start, and for a part to finish, before it
 * gives up on the team (a helper that died cannot say so while the caller is blocked). */
const START_TIMEOUT_MS = 30_000;
let partTimeoutMs = 120_000;

let blocking: boolean | undefined;

/**
 * Whether this thread may block in Atomics.wait: Node's threads and Web Workers may; a page's
 * main thread may not (Atomics.wait throws there), so it spins on Atomics.load while the helpers
 * finish their parts. The parts are short (milliseconds: a kernel call's share, the team's
 * start is never waited for there), so spinning costs the page no more than the work itself.
 */
function canBlock(i32: Int32Array): boolean {
  if (blocking === undefined) {
    try {
      Atomics.wait(i32, QUIT, -1, 0); // never -1: answers 'not-equal' at once where it may block
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

class Team implements ThreadTeam {
  private readonly ctl: Control;
  private readonly threads: ThreadHandle[] = [];
  private closed = false;
  /** Whether every helper said READY (at once in Node; later in a page, see ready). */
  private started = false;
  /** Settles when the helpers are ready; rejects when they could not start (the team is then
   * stopped and setNumThreads is back to 1). */
  readonly ready: Promise<void>;

  constructor(
    readonly rt: Runtime,
    readonly size: number
  ) {
    const helpers = size - 1;
    const control = new SharedArrayBuffer(controlBytes(helpers).total);
    this.ctl = controlViews(control, helpers);
    const init = (index: number): ThreadInit => ({
      module: rt.module,
      memory: rt.heap.memory,
      control,
      helpers,
      index,
    });
    const node = nodeRuntimeIfLoaded();
    if (!node) {
      this.ready = this.startInPage(init);
      this.ready.catch(() => undefined); // reported by console.warn and threadsReady()
      return;
    }
    try {
      for (let h = 0; h < helpers; h++) this.threads.push(node.startThread(init(h)));
      this.awaitStart();
    } catch (e) {
      this.close();
      throw e;
    }
    this.started = true;
    this.ready = Promise.resolve();
  }

  /** The first helper not READY yet, -1 when every one is; throws when one could not start or
   * the start took too long. */
  private pendingHelper(t0: number): number {
    for (let h = 0; h < this.size - 1; h++) {
      const state = Atomics.load(this.ctl.i32, SLOT0 + h * SLOT + STATE);
      if (state === START_FAILED) {
        throw new Error(
          `simdgrad: intra-op thread ${h + 2} of ${this.size} could not start: ` +
            readMessage(this.ctl, h)
        );
      }
      if (state !== READY) {
        if (Date.now() - t0 < START_TIMEOUT_MS) return h;
        throw new Error(
          `simdgrad: intra-op thread ${h + 2} of ${this.size} did not start in ` +
            `${START_TIMEOUT_MS / 1000} s`
        );
      }
    }
    return -1;
  }

  /** Blocks until every helper is READY (Atomics.wait: Node's main thread may block; the
   * helpers start on their own threads meanwhile). */
  private awaitStart(): void {
    const t0 = Date.now();
    for (let h = this.pendingHelper(t0); h >= 0; h = this.pendingHelper(t0)) {
      Atomics.wait(
        this.ctl.i32,
        SLOT0 + h * SLOT + STATE,
        Atomics.load(this.ctl.i32, SLOT0 + h * SLOT + STATE),
        100
      );
    }
  }

  /**
   * A page's team: its helpers are module Web Workers, which start only once this thread goes
   * back to its event loop, so the team is not waited for here; it computes on one thread
   * (available() 1) until every helper said READY, polled every few milliseconds.
   */
  private async startInPage(init: (index: number) => ThreadInit): Promise<void> {
    let failure: string | null = null;
    try {
      const web = await loadWebThreads();
      for (let h = 0; h < this.size - 1 && !this.closed; h++) {
        this.threads.push(
          web.startWebThread(init(h), (message) => {
            failure ??= `simdgrad: intra-op thread ${h + 2} of ${this.size} could not start: ${message}`;
          })
        );
      }
      const t0 = Date.now();
      while (!this.closed) {
        if (failure) throw new Error(failure);
        if (this.pendingHelper(t0) < 0) {
          this.started = true;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 4));
      }
    } catch (e) {
      // stopped on purpose meanwhile (setNumThreads): nothing failed
      if (this.closed) return;
      this.close();
      if (teams.get(this.rt) === this) {
        teams.delete(this.rt);
        wanted = 1;
      }
      const err = new Error(`${(e as Error).message}; kernels now run on one thread`);
      // nobody may be awaiting threadsReady(): say it where a page's developer looks
      console.warn(err.message);
      throw err;
    }
  }

  available(): number {
    return this.closed || !this.started ? 1 : this.size;
  }

  /** Parts the helpers have run since the team started (tests: a split really ran on one). */
  partsRunByHelpers(): number {
    let n = 0;
    for (let h = 0; h < this.size - 1; h++)
      n += Atomics.load(this.ctl.i32, SLOT0 + h * SLOT + PARTS_RUN);
    return n;
  }

  run(parts: PartCalls[]): void {
    this.dispatch(
      parts[0].map(([name]) => name).join('+'),
      parts.map((calls) => calls.map(([name, args]) => [SPLIT_KERNELS.indexOf(name), args]))
    );
  }

  /** Posts parts 1.. to helpers 0.., runs part 0 here, waits for the rest; a kernel < 0 is a
   * test fault. */
  dispatch(name: string, parts: [number, number[]][][]): void {
    const { i32, args } = this.ctl;
    if (parts.length > this.available()) {
      throw new Error(`simdgrad: ${parts.length} parts for ${this.available()} threads`);
    }
    for (const calls of parts) {
      const size = calls.length === 1 ? 0 : calls.reduce((s, [, a]) => s + 2 + a.length, 0);
      if (size > MAX_SPLIT_ARGS) {
        throw new Error(`simdgrad: a part of ${name} takes over ${MAX_SPLIT_ARGS} arguments`);
      }
    }
    Atomics.store(i32, DONE, 0);
    for (let j = 1; j < parts.length; j++) {
      const h = j - 1;
      const at = SLOT0 + h * SLOT;
      const calls = parts[j];
      if (calls.length === 1) {
        args.set(calls[0][1], h * MAX_SPLIT_ARGS);
        i32[at + KERNEL] = calls[0][0];
        i32[at + NARGS] = calls[0][1].length;
      } else {
        let o = 0;
        for (const [k, a] of calls) {
          args[h * MAX_SPLIT_ARGS + o] = k;
          args[h * MAX_SPLIT_ARGS + o + 1] = a.length;
          args.set(a, h * MAX_SPLIT_ARGS + o + 2);
          o += 2 + a.length;
        }
        i32[at + KERNEL] = SEQUENCE;
        i32[at + NARGS] = o;
      }
      Atomics.add(i32, at + SEQ, 1);
      Atomics.notify(i32, at + SEQ);
    }
    let own: unknown = null;
    try {
      for (const [k, a] of parts[0]) {
        if (k >= 0) (kernel(this.rt, SPLIT_KERNELS[k]) as (...a: number[]) => void)(...a);
      }
    } catch (e) {
      own = e;
    }
    this.awaitParts(parts.length - 1, name);
    if (own) throw own;
    for (let h = 0; h < parts.length - 1; h++) {
      if (i32[SLOT0 + h * SLOT + STATE] === JOB_FAILED) {
        i32[SLOT0 + h * SLOT + STATE] = READY;
        throw new Error(
          `simdgrad: intra-op thread ${h + 2} of ${this.size} failed in ${name}: ` +
            readMessage(this.ctl, h)
        );
      }
    }
  }

  private awaitParts(n: number, name: string): void {
    const i32 = this.ctl.i32;
    const block = canBlock(i32);
    const t0 = Date.now();
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(i32, DONE);
      if (done >= n) return;
      // spinning: read the clock now and then only
      if (!block && (spins & 0xfff) !== 0) continue;
      const left = partTimeoutMs - (Date.now() - t0);
      if (left <= 0) {
        this.close();
        if (teams.get(this.rt) === this) teams.delete(this.rt);
        wanted = 1;
        throw new Error(
          `simdgrad: ${n - done} intra-op thread(s) did not finish ${name} in ` +
            `${partTimeoutMs / 1000} s; the team was stopped, kernels now run on one thread`
        );
      }
      if (block) Atomics.wait(i32, DONE, done, Math.min(left, 1000));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    retiredHelperParts += this.partsRunByHelpers();
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
 * bit-identical to one thread. Default 1. Helpers start at the first kernel call that splits (or
 * at `threadsReady()`) and stop with `setNumThreads(1)`; they never keep Node running. Only over
 * a shared memory: a page that is not cross-origin isolated, or kernels given as a compiled
 * private-memory Module, compute on one thread whatever n is; data-parallel workers always use
 * one thread. In Node the helpers are ready when the first split call runs. In a page they are
 * module Web Workers, which start while the page goes on: kernels run on one thread until
 * `await threadsReady()` resolves (a page's main thread cannot block; it spins on the helpers'
 * parts instead of sleeping, see awaitParts).
 *
 * @example
 * setNumThreads(2);
 * await threadsReady();                   // in a page; at once in Node
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
  if (
    wanted <= 1 ||
    rt.joined ||
    !isSharedMemory(rt.heap.memory) ||
    !(nodeRuntimeIfLoaded() || canStartWebThreads())
  ) {
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

/**
 * Starts rt's helpers for setNumThreads (when they are not running) and resolves once kernel
 * calls use them, with the number of threads they may use: 1 where kernels run on one thread
 * (see setNumThreads). Rejects when a helper could not start (kernels then run on one thread
 * and getNumThreads() is 1). In Node the helpers are ready when it returns.
 */
export async function threadsReady(rt: Runtime): Promise<number> {
  const team = teamOf(rt);
  if (!team) return 1;
  await team.ready;
  return Math.min(wanted, team.available());
}

/** @internal Tests: make the helpers of rt's team fail ('throw') or hang, with partTimeout (ms)
 * for the wait; returns the error the call threw. */
export function injectThreadFault(
  rt: Runtime,
  fault: 'throw' | 'hang',
  timeoutMs?: number
): unknown {
  const team = teamOf(rt);
  if (!team) throw new Error('injectThreadFault: no team (setNumThreads(n > 1) first)');
  const saved = partTimeoutMs;
  partTimeoutMs = timeoutMs ?? saved;
  try {
    const k = fault === 'throw' ? FAULT_THROW : FAULT_HANG;
    const parts = Array.from({ length: team.size }, (): [number, number[]][] => [[k, []]]);
    team.dispatch(`fault '${fault}'`, parts);
    return null;
  } catch (e) {
    return e;
  } finally {
    partTimeoutMs = saved;
  }
}
