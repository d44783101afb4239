// Allocation churn for heap tests that run it on several threads at once over one memory
// (test/runtime/pages.test.ts and its pages-worker.ts).
import type { WasmHeap } from '../../src/runtime/heap.js';

/** Allocates blocks of varied sizes, tags every word with tag + round, checks and frees them;
 * the errors found (words not holding their tag). */
export function churn(heap: WasmHeap, rounds: number, tag: number): string[] {
  const errors: string[] = [];
  let s = tag >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const live: { ptr: number; length: number; tag: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(2 ** (next() * 18));
    const b = heap.allocF32(n);
    const t = (tag + r) | 0;
    new Int32Array(heap.view(b).buffer, b.ptr, n).fill(t);
    live.push({ ...b, tag: t });
    if (live.length > 12 || next() < 0.3) {
      const v = live.splice(Math.floor(next() * live.length), 1)[0];
      const words = new Int32Array(heap.view(v).buffer, v.ptr, v.length);
      const bad = words.findIndex((w) => w !== v.tag);
      if (bad >= 0) errors.push(`block ${v.ptr} (+${v.length}) word ${bad}: ${words[bad]}`);
      heap.free(v);
    }
  }
  for (const v of live) heap.free(v);
  return errors;
}
