// What a helper thread of the intra-op team is given and what starting one returns, apart from
// threads.ts so the platform hosts (node.ts) can name them without importing the team.
// Tests: test/parallel/threads.test.ts.

/** What a helper thread gets at start. */
export interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  helpers: number;
  /** This helper's index, 0-based (it is thread index + 1 in messages). */
  index: number;
}

/** A thread a team started: Node's worker thread, unref'ed so it never keeps the process up. */
export interface ThreadHandle {
  terminate(): void;
}
