// Run by threads.test.ts in a child process: starts intra-op helpers (a split GEMM) and returns
// without setNumThreads(1); the process must exit by itself (the helpers are unref'ed).
import { init, runtime, setNumThreads } from '../../src/index.js';
import { gemm } from '../../src/runtime/kernels/gemm.js';
import { threadTesting } from '../../src/runtime/threads.js';

await init();
const rt = runtime();
setNumThreads(2);
const a = rt.heap.allocF32(256 * 256);
const c = rt.heap.allocF32(256 * 256);
rt.heap.view(a).fill(1);
gemm(rt, { m: 256, n: 256, k: 256, a, b: a, c });
console.log(`splits ${threadTesting.splitCalls()} c ${rt.heap.view(c)[0]}`);
