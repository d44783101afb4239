// Several heaps over one memory (src/runtime/pages.ts, heap.ts): the page map's claims, first
// fit and release; a joined heap beside the main one (no block of one inside the other's pages,
// runs switched when the next pages are taken, pages back on release); two threads allocating
// at once over one shared memory; the shared variant of each build (load.ts) differs by one byte
// and gives the same kernel results over a shared memory as the build over a private one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { WasmHeap } from '../../src/runtime/heap.js';
import { scale } from '../../src/runtime/kernels/elementwise.js';
import { createRuntime, isSharedMemory, sharedVariant } from '../../src/runtime/load.js';
import { PAGE, PageMap } from '../../src/runtime/pages.js';
import { rand } from '../util.js';
import { churn } from './heap-churn.js';

const t = suite('pages');

const sharedMemory = (initial = 1): WebAssembly.Memory =>
  new WebAssembly.Memory({ initial, maximum: 65536, shared: true });

t('page map: claimAt, first fit past taken pages, growth on demand, release', () => {
  const memory = sharedMemory(4);
  const map = new PageMap(true);
  const a = map.newOwner();
  const b = map.newOwner();
  assert.ok(a !== b && a > 0 && b > 0);
  assert.ok(map.claimAt(a, 0, 2, memory));
  assert.not.ok(map.claimAt(b, 1, 2, memory), 'page 1 is taken');
  assert.is(map.claim(b, 3, memory), 2);
  assert.is(map.claim(a, 1, memory), 5, "past the memory's end: it grows");
  assert.is(memory.buffer.byteLength, 6 * PAGE);
  map.release(b);
  assert.is(map.claim(a, 2, memory), 2, 'released pages are found first');
  assert.equal([...map.owned()], [[a, 5]]);
  assert.not.ok(map.claimAt(a, 65535, 2, memory), 'past 4 GiB');
  assert.is(map.ownerOf(4), 0);
});

t('a joined heap beside the main heap: disjoint pages, run switches, pages back on release', () => {
  const memory = sharedMemory();
  const map = new PageMap(true);
  const main = new WasmHeap(memory, 1024, { pages: map });
  const joined = new WasmHeap(memory, 0, { pages: map, minClaimBytes: 2 * PAGE });
  const blocks: { heap: WasmHeap; ptr: number; bytes: number }[] = [];
  let seed = 7;
  const u = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  for (let i = 0; i < 3000; i++) {
    const heap = u() < 0.5 ? main : joined;
    if (blocks.length > 40 || (blocks.length > 0 && u() < 0.4)) {
      const [b] = blocks.splice(Math.floor(u() * blocks.length), 1);
      b.heap.free(b.ptr);
      continue;
    }
    const bytes = Math.floor(2 ** (u() * 19));
    const ptr = heap.allocBytes(bytes);
    for (
      let p = Math.floor(ptr / PAGE);
      p <= Math.floor((ptr + Math.max(bytes, 1) + 63) / PAGE);
      p++
    ) {
      assert.is(map.ownerOf(p), heap.owner, `block ${ptr} +${bytes}: page ${p} not its heap's`);
    }
    for (const o of blocks) {
      assert.ok(
        ptr + bytes <= o.ptr || o.ptr + o.bytes <= ptr,
        `[${ptr}, +${bytes}) overlaps [${o.ptr}, +${o.bytes})`
      );
    }
    blocks.push({ heap, ptr, bytes });
  }
  for (const b of blocks) b.heap.free(b.ptr);
  assert.is(joined.liveBytes + main.liveBytes, 0);
  const before = map.owned().get(joined.owner) ?? 0;
  assert.ok(before > 0);
  map.release(joined.owner);
  assert.is(map.owned().get(joined.owner), undefined);
  assert.ok((map.owned().get(main.owner) ?? 0) > 0);
});

t('two threads allocate at once over one shared memory: no block overwritten', async () => {
  const rt = await createRuntime({ build: 'simd128' });
  assert.ok(isSharedMemory(rt.heap.memory), 'Node gets a shared memory');
  const go = new SharedArrayBuffer(8);
  const flags = new Int32Array(go);
  const workers = [1, 2].map(() => {
    const owner = rt.heap.pages.newOwner();
    const w = new Worker(new URL('./pages-worker.js', import.meta.url), {
      workerData: {
        module: rt.module,
        build: rt.build,
        memory: rt.heap.memory,
        pages: rt.heap.pages.buffer,
        owner,
        rounds: 1500,
        go,
      },
    });
    const done = new Promise<string[]>((resolve, reject) => {
      w.once('message', (m: { errors: string[] }) => resolve(m.errors));
      w.once('error', reject);
    });
    return { w, owner, done };
  });
  while (Atomics.load(flags, 1) < workers.length) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  const mine = churn(rt.heap, 1500, 0x3000_0000);
  const theirs = await Promise.all(workers.map((w) => w.done));
  assert.equal([mine, ...theirs], [[], [], []]);
  for (const w of workers) {
    await w.w.terminate();
    rt.heap.pages.release(w.owner);
  }
  assert.equal([...rt.heap.pages.owned().keys()], [rt.heap.owner]);
});

t('the shared variant differs by one byte and computes what the private build does', async () => {
  const { readFile } = await import('node:fs/promises');
  for (const build of ['simd128', 'relaxed'] as const) {
    const bytes = new Uint8Array(
      await readFile(new URL(`../../wasm/simdgrad.${build}.wasm`, import.meta.url))
    );
    const variant = sharedVariant(bytes);
    let diff = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== variant[i]) diff++;
    assert.is(diff, 1, `${build}: bytes differing`);
    assert.is(sharedVariant(variant).join(), variant.join(), 'already shared: unchanged');
  }
  const plain = await createRuntime({
    build: 'simd128',
    memory: new WebAssembly.Memory({ initial: 16, maximum: 65536 }),
  });
  const shared = await createRuntime({ build: 'simd128', memory: sharedMemory(16) });
  assert.not.ok(isSharedMemory(plain.heap.memory));
  let msg = '';
  try {
    await WebAssembly.instantiate(plain.module, { env: { memory: sharedMemory() } });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert.ok(/shared/i.test(msg), `the private build refuses a shared memory: ${msg}`);
  const x = rand(1001, 3);
  const out = [plain, shared].map((rt) => {
    const a = rt.heap.fromArray(x);
    const y = rt.heap.allocF32(x.length);
    scale(rt, a, 0.37, y);
    return Array.from(rt.heap.view(y));
  });
  assert.equal(out[1], out[0]);
});

t.run();
