// Who owns each 64 KiB page of a Wasm memory that several heaps allocate from: one heap per
// thread over one shared memory (the main thread's, and each data-parallel worker's). A heap
// claims a run of pages when its own run is full; a pool's pages are released together once its
// workers are gone. The map lives in a SharedArrayBuffer beside a shared memory (an ArrayBuffer
// beside a private one) under a spin lock: claims are rare and short. Tests:
// test/runtime/pages.test.ts, test/reliability/allocator.test.ts.

/** Wasm page size. */
export const PAGE = 65536;
/** Pages a 32-bit memory can have. */
export const MAX_PAGES = 65536;

// Int32 cells: [0] the lock (holder's owner id, 0 when free), [1] the last owner id handed out,
// then one cell per page: its owner, 0 when free.
const LOCK = 0;
const LAST_OWNER = 1;
const HEADER = 2;
/** A lock held this long means its holder died holding it (a claim takes microseconds). */
const LOCK_TIMEOUT_MS = 10_000;

export class PageMap {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  private readonly cells: Int32Array;

  /** A new map (shared: over a SharedArrayBuffer, for a shared memory), or a view of another
   * thread's map. */
  constructor(from: boolean | SharedArrayBuffer | ArrayBuffer) {
    if (typeof from === 'boolean') {
      const bytes = (HEADER + MAX_PAGES) * 4;
      this.buffer = from ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    } else {
      this.buffer = from;
    }
    this.cells = new Int32Array(this.buffer);
  }

  /** A fresh owner id (1, 2, ...): one per heap, or one per worker pool. */
  newOwner(): number {
    return Atomics.add(this.cells, LAST_OWNER, 1) + 1;
  }

  /** How many pages each owner holds. */
  owned(): Map<number, number> {
    const out = new Map<number, number>();
    for (let p = 0; p < MAX_PAGES; p++) {
      const o = this.cells[HEADER + p];
      if (o !== 0) out.set(o, (out.get(o) ?? 0) + 1);
    }
    return out;
  }

  /** The owner of page p (0: free). */
  ownerOf(p: number): number {
    return this.cells[HEADER + p];
  }

  /**
   * Claims pages [start, start + n) for owner when all are free, growing memory to cover them;
   * false when one is taken or the run passes 4 GiB. A failed memory.grow throws (nothing
   * claimed).
   */
  claimAt(owner: number, start: number, n: number, memory: WebAssembly.Memory): boolean {
    if (start < 0 || n < 1 || start + n > MAX_PAGES) return false;
    this.lock(owner);
    try {
      for (let p = start; p < start + n; p++) if (this.cells[HEADER + p] !== 0) return false;
      this.take(owner, start, n, memory);
      return true;
    } finally {
      this.unlock(owner);
    }
  }

  /** Claims the lowest run of n free pages for owner (growing memory when the run reaches past
   * its end); the run's first page, or -1 when no run fits below 4 GiB. A failed memory.grow
   * throws (nothing claimed). */
  claim(owner: number, n: number, memory: WebAssembly.Memory): number {
    if (n < 1 || n > MAX_PAGES) return -1;
    this.lock(owner);
    try {
      const size = Math.min(MAX_PAGES, memory.buffer.byteLength / PAGE);
      let run = 0;
      let start = -1;
      for (let p = 0; p < size; p++) {
        run = this.cells[HEADER + p] === 0 ? run + 1 : 0;
        if (run === n) {
          start = p - n + 1;
          break;
        }
      }
      // Past the memory's end every page is free: a run open at the end continues there.
      if (start < 0) start = size - run;
      if (start + n > MAX_PAGES) return -1;
      this.take(owner, start, n, memory);
      return start;
    } finally {
      this.unlock(owner);
    }
  }

  /** Frees every page of owner, whose threads must be gone (a lock they held is broken). */
  release(owner: number): void {
    Atomics.compareExchange(this.cells, LOCK, owner, 0);
    this.lock(-1);
    try {
      for (let p = 0; p < MAX_PAGES; p++) {
        if (this.cells[HEADER + p] === owner) this.cells[HEADER + p] = 0;
      }
    } finally {
      this.unlock(-1);
    }
  }

  private take(owner: number, start: number, n: number, memory: WebAssembly.Memory): void {
    const have = memory.buffer.byteLength / PAGE;
    if (start + n > have) memory.grow(start + n - have);
    for (let p = start; p < start + n; p++) this.cells[HEADER + p] = owner;
  }

  private lock(owner: number): void {
    let spins = 0;
    const t0 = Date.now();
    while (Atomics.compareExchange(this.cells, LOCK, 0, owner) !== 0) {
      if ((++spins & 0xffff) === 0 && Date.now() - t0 > LOCK_TIMEOUT_MS) {
        throw new Error(
          `simdgrad: the Wasm page map has been locked by heap ` +
            `${Atomics.load(this.cells, LOCK)} for ${LOCK_TIMEOUT_MS / 1000} s (a thread died ` +
            'holding it)'
        );
      }
    }
  }

  private unlock(owner: number): void {
    Atomics.compareExchange(this.cells, LOCK, owner, 0);
  }
}
