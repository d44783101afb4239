// The part of intra-op threads (threads.ts) that a helper thread runs, whatever hosts it (Node's
// worker thread: thread-worker.ts; a page's module Web Worker: thread-web-worker.ts): the
// control block's layout (Atomics over a SharedArrayBuffer) and the helper's loop. It imports
// nothing, so a helper's script is this module and its entry. Tests: test/parallel/threads.test.ts,
// test/browser/threads.test.ts.

/** The kernels a team can run a part of, by index (the control block carries the index). */
export const SPLIT_KERNELS = [
  'gemm_nn',
  'gemm_nt',
  'gemm_tn',
  'gemm_tt',
  'conv2d_fwd_nchw',
  'conv2d_bwd_input_nchw',
  'conv2d_bwd_weight_nchw',
  'copy_strided',
  'unary_fwd',
  'binary_fwd_bcast4',
  'batchnorm2d_fwd_eval',
  'maxpool2d_fwd_nchw',
] as const;
export type SplitKernel = (typeof SPLIT_KERNELS)[number];

/** The most arguments a part takes: one kernel call (conv2d_fwd_nchw: 20), or a SEQUENCE of
 * calls, each as its kernel's index, its argument count and its arguments (a band of a conv:
 * copy in, conv, copy out, 66). */
export const MAX_SPLIT_ARGS = 72;

// ---- the control block: Int32 cells, then each helper's arguments (f64), then its last error.
// DONE counts the parts finished in the current call; helper h's cells sit at SLOT0 + h * SLOT.
export const DONE = 0;
export const QUIT = 1;
export const SLOT0 = 4;
export const SLOT = 8;
/** Helper cells: its job sequence number (it waits on this word), the kernel's index in
 * SPLIT_KERNELS (or a FAULT_ for tests), the argument count, its state, its message's length,
 * the parts it has run (tests check that a split really ran on a helper). */
export const SEQ = 0;
export const KERNEL = 1;
export const NARGS = 2;
export const STATE = 3;
export const MSG_LEN = 4;
export const PARTS_RUN = 5;
export const STARTING = 0;
export const READY = 1;
export const START_FAILED = 2;
export const JOB_FAILED = 3;
const MSG_BYTES = 1024;
/** Test-only kernels: throw, or hang until told to quit. */
export const FAULT_THROW = -1;
export const FAULT_HANG = -2;
/** A part made of several kernel calls run in order (see MAX_SPLIT_ARGS). */
export const SEQUENCE = -3;

export interface Control {
  i32: Int32Array;
  args: Float64Array;
  msg: Uint8Array;
}

export function controlBytes(helpers: number): { argsAt: number; msgAt: number; total: number } {
  const argsAt = Math.ceil(((SLOT0 + helpers * SLOT) * 4) / 8) * 8;
  const msgAt = argsAt + helpers * MAX_SPLIT_ARGS * 8;
  return { argsAt, msgAt, total: msgAt + helpers * MSG_BYTES };
}

export function controlViews(buffer: SharedArrayBuffer, helpers: number): Control {
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

export function readMessage(ctl: Control, h: number): string {
  const len = ctl.i32[SLOT0 + h * SLOT + MSG_LEN];
  // TextDecoder refuses views of shared memory: copy first
  return new TextDecoder().decode(ctl.msg.slice(h * MSG_BYTES, h * MSG_BYTES + len));
}

/** What a helper thread gets at start. */
export interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  helpers: number;
  /** This helper's index, 0-based (it is thread index + 1 in messages). */
  index: number;
}

/** A helper thread a team started (Node's worker thread, a page's Web Worker). */
export interface ThreadHandle {
  terminate(): void;
}

/**
 * A helper's life: instantiate the kernels over the shared memory, say READY, then run every
 * part posted to it until QUIT. Nothing it runs can throw out of the loop: an error is written
 * to its cells for the calling thread to report. It blocks in Atomics.wait between parts, which
 * every worker may (a page's main thread may not, and never runs this). Spinning a while first
 * (0.05 and 0.2 ms, helper and caller) was tried: it slowed a split conv by 10-25% (a spinning
 * thread slows the other on 2 vCPUs) for no clear gain on ResNet-18.
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
    const args = Array.from(
      ctl.args.subarray(h * MAX_SPLIT_ARGS, h * MAX_SPLIT_ARGS + ctl.i32[at + NARGS])
    );
    let state = READY;
    try {
      if (k === FAULT_THROW) throw new Error('injected fault (test)');
      if (k === FAULT_HANG) Atomics.wait(ctl.i32, QUIT, 0, 60_000);
      else if (k === SEQUENCE) {
        for (let o = 0; o < args.length; o += 2 + args[o + 1]) {
          fns[args[o]](...args.slice(o + 2, o + 2 + args[o + 1]));
        }
      } else fns[k](...args);
      Atomics.add(ctl.i32, at + PARTS_RUN, 1);
    } catch (e) {
      writeMessage(ctl, h, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      state = JOB_FAILED;
    }
    Atomics.store(ctl.i32, at + STATE, state);
    Atomics.add(ctl.i32, DONE, 1);
    Atomics.notify(ctl.i32, DONE);
  }
}
