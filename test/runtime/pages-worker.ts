// A thread for test/runtime/pages.test.ts: joins the test's shared memory with its own heap and
// allocates, tags, checks and frees blocks while the main thread does the same.
import { parentPort, workerData } from 'node:worker_threads';
import { createRuntime, type BuildName } from '../../src/runtime/load.js';
import { churn } from './heap-churn.js';

interface Job {
  module: WebAssembly.Module;
  build: BuildName;
  memory: WebAssembly.Memory;
  pages: SharedArrayBuffer;
  owner: number;
  rounds: number;
  go: SharedArrayBuffer;
}

const job = workerData as Job;
const rt = await createRuntime({
  module: job.module,
  build: job.build,
  memory: job.memory,
  join: { pages: job.pages, owner: job.owner },
});
const go = new Int32Array(job.go);
Atomics.add(go, 1, 1);
Atomics.wait(go, 0, 0);
const errors = churn(rt.heap, job.rounds, 0x5000_0000 + job.owner);
parentPort!.postMessage({ errors });
