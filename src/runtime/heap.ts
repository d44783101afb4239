// The runtime owns the Wasm linear memory: kernels never allocate, they get byte offsets planned
// here. A segregated-fit allocator over address-ordered blocks, with every free block merged with
// its free neighbours at once. Blocks are cut from runs of pages the heap claims in the memory's
// page map (pages.ts), so several heaps (one per thread) can share one memory. Tests:
// test/reliability/allocator.test.ts (fuzz, out of memory at the 4 GiB edge),
// test/runtime/pages.test.ts and test/runtime/load.test.ts.

import { PAGE, PageMap } from './pages.js';

/** A run of f32 values in the Wasm memory: byte offset and element count. */
export interface F32Buf {
  readonly ptr: number;
  readonly length: number;
}

/** Block granularity and alignment: a cache line (the kernels need 16). */
const ALIGN = 64;
/** Mapped bytes kept past the last block: vector loads at a row's end may read (never use) a few
 * bytes beyond it. */
const SLACK = 64;
/** 65536 pages: 32-bit Wasm cannot address more. byteLength can equal this, so sizes and ends
 * are plain numbers here, never `| 0` or `>>> 0`. */
const MAX_MEMORY = 2 ** 32;

// Size classes (TLSF-like): a block of u units (u * 64 bytes) below 16 units has class u, one size
// per class; above, each power of two splits into 16 classes, so a class spans at most 1/16 of its
// sizes. 2^26 units (4 GiB) gives classes below 24 * 16.
const SL_BITS = 4;
const SL = 1 << SL_BITS;
const CLASSES = 24 * SL;
const WORDS = CLASSES / 32;
/** How many blocks of a request's own class are looked at for the tightest fit before taking any
 * block of a larger class (which always fits). */
const SCAN = 8;

const GONE = -2;

/**
 * Offset -> value (any number but GONE) with V8's Map underneath, deleting by
 * overwriting with a tombstone. A heap reuses the same offsets over and over, and a Map that
 * deletes and re-adds one key keeps every deleted entry in that key's hash chain until it
 * rehashes: measured 2026-12-01 (Node 20), 100,000 set+delete of 3 keys beside 100,000 others
 * took 2.9 s, 29 us each. Tombstones keep one entry per key; the map is rebuilt when they
 * outnumber the live keys.
 */
class OffsetMap {
  private map = new Map<number, number>();
  private dead = 0;
  size = 0;

  get(k: number): number | undefined {
    const v = this.map.get(k);
    return v === GONE ? undefined : v;
  }

  set(k: number, v: number): void {
    const old = this.map.get(k);
    if (old === undefined || old === GONE) {
      this.size++;
      if (old === GONE) this.dead--;
    }
    this.map.set(k, v);
  }

  delete(k: number): void {
    const old = this.map.get(k);
    if (old === undefined || old === GONE) return;
    this.map.set(k, GONE);
    this.size--;
    if (++this.dead > 1024 && this.dead > 2 * this.size) this.compact();
  }

  private compact(): void {
    const fresh = new Map<number, number>();
    for (const [k, v] of this.map) if (v !== GONE) fresh.set(k, v);
    this.map = fresh;
    this.dead = 0;
  }
}

function classOf(bytes: number): number {
  const units = bytes / ALIGN;
  if (units < SL) return units;
  const log = 31 - Math.clz32(units);
  return (log - SL_BITS + 1) * SL + ((units >>> (log - SL_BITS)) - SL);
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export interface HeapOptions {
  /** The memory's page map, when other heaps share the memory (default: a map of its own). */
  pages?: PageMap;
  /** This heap's owner id in the map (default: a new one). */
  owner?: number;
  /** Claim at least this many bytes at a time (a worker's heap: fewer, larger runs). */
  minClaimBytes?: number;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly pages: PageMap;
  /** This heap's id in the page map. */
  readonly owner: number;
  private readonly base: number;
  private readonly minClaimPages: number;
  /** End of the last block in the run of pages being filled; [top, limit) is unused (free blocks
   * never touch it: they are given back to it). */
  private top: number;
  /** End of the run of pages being filled. */
  private limit: number;
  /** Bytes in the runs this heap claimed. */
  private claimed: number;
  private high: number;
  private live = 0;
  private readonly sizeOf = new OffsetMap();
  private readonly freeStart = new OffsetMap();
  /** End offset of each free block -> its start, for merging with the block after it. */
  private readonly freeEnd = new OffsetMap();
  // Each class's free blocks form a doubly linked list (head per class, links by start offset),
  // newest first: O(1) insert and removal, and a scan from the head meets only free blocks (a
  // Set would do, but iterating a Set from the front after many deletions walks their holes).
  private readonly binHead = new Float64Array(CLASSES).fill(-1);
  private readonly nextFree = new OffsetMap();
  private readonly prevFree = new OffsetMap();
  /** Bit c set when bins[c] is not empty. */
  private readonly nonEmpty = new Int32Array(WORDS);
  private f32Cache: Float32Array;

  /**
   * A heap over memory. heapBase > 0: the memory's first heap, starting past the kernels' static
   * data (its pages are claimed here); 0: a heap joining a memory whose first heap exists, which
   * claims pages where the page map has room.
   */
  constructor(memory: WebAssembly.Memory, heapBase: number, opts: HeapOptions = {}) {
    this.memory = memory;
    this.pages = opts.pages ?? new PageMap(false);
    this.owner = opts.owner ?? this.pages.newOwner();
    this.minClaimPages = Math.ceil((opts.minClaimBytes ?? 0) / PAGE);
    this.base = heapBase > 0 ? Math.ceil(Math.max(heapBase, 1024) / ALIGN) * ALIGN : 0;
    this.top = this.base;
    this.limit = this.base;
    this.claimed = 0;
    if (this.base > 0) {
      const pages = Math.ceil(this.base / PAGE);
      if (!this.pages.claimAt(this.owner, 0, pages, memory)) {
        throw new Error(
          "WasmHeap: the memory's first pages belong to another heap (pass " +
            'heapBase 0 to join a memory)'
        );
      }
      this.limit = pages * PAGE;
      this.claimed = this.limit - this.base;
    }
    this.high = this.base;
    this.f32Cache = new Float32Array(memory.buffer);
  }

  /** Bytes from the start of the memory to the end of the last block: the live blocks, the free
   * blocks between them and the kernels' static data (other heaps' pages too, where they lie
   * below). The Wasm memory itself never shrinks. */
  get reservedBytes(): number {
    return this.top;
  }

  /** The most reservedBytes has ever been. */
  get highWaterBytes(): number {
    return this.high;
  }

  /** Bytes in allocated blocks (each rounded up to 64). */
  get liveBytes(): number {
    return this.live;
  }

  /** How many blocks are allocated. */
  get liveBlocks(): number {
    return this.sizeOf.size;
  }

  /** Bytes in free blocks, ready for reuse. */
  get freeBytes(): number {
    return this.claimed - (this.limit - this.top) - this.live;
  }

  /** Allocates room for length f32 values (contents unspecified); label names it in errors. */
  allocF32(length: number, label?: string): F32Buf {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`allocF32: length must be a non-negative integer, got ${length}`);
    }
    return { ptr: this.allocBytes(length * 4, label), length };
  }

  /**
   * Allocates bytes (rounded up to 64) and returns the byte offset. Out of memory is a RangeError
   * naming the request (label when given) and the heap's state; the heap is unchanged by it.
   */
  allocBytes(bytes: number, label?: string): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) {
      throw new RangeError(`allocBytes: bytes must be a non-negative number, got ${bytes}`);
    }
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const reused = size <= MAX_MEMORY ? this.takeFree(size) : -1;
    if (reused >= 0) return reused;
    if (this.top + size + SLACK > this.limit) this.extend(size + SLACK, bytes, label);
    const ptr = this.top;
    this.top = ptr + size;
    if (this.top > this.high) this.high = this.top;
    this.sizeOf.set(ptr, size);
    this.live += size;
    return ptr;
  }

  /**
   * Makes [top, top + need) part of the heap: the pages right after the current run when they
   * are free, else a new run elsewhere (the rest of the current run becomes a free block).
   */
  private extend(need: number, bytes: number, label: string | undefined): void {
    if (need > MAX_MEMORY - this.base) {
      throw this.outOfMemory(bytes, label, 'the 4 GiB limit of 32-bit Wasm');
    }
    const at = this.limit / PAGE;
    const more = Math.max(this.minClaimPages, Math.ceil((this.top + need - this.limit) / PAGE));
    let growError: Error | null = null;
    try {
      if (this.limit > 0 && this.pages.claimAt(this.owner, at, more, this.memory)) {
        this.limit += more * PAGE;
        this.claimed += more * PAGE;
        return;
      }
    } catch (e) {
      growError = e as Error;
    }
    const n = Math.max(this.minClaimPages, Math.ceil(need / PAGE));
    let start: number;
    try {
      start = this.pages.claim(this.owner, n, this.memory);
    } catch (e) {
      growError = e as Error;
      start = -1;
    }
    if (start < 0) {
      throw this.outOfMemory(
        bytes,
        label,
        growError ? `memory.grow failed: ${growError.message}` : 'the 4 GiB limit of 32-bit Wasm'
      );
    }
    // The rest of the run becomes a free block, less SLACK: a block must not end where the run
    // does, since the memory after it may be unmapped (at 4 GiB).
    if (this.top + SLACK < this.limit) {
      const before = this.freeEnd.get(this.top);
      if (before !== undefined) this.unlinkFree(before);
      const from = before ?? this.top;
      this.linkFree(from, this.limit - SLACK - from);
    }
    this.top = start * PAGE;
    this.limit = (start + n) * PAGE;
    this.claimed += n * PAGE;
    // A run right after one of this heap's free blocks (pages another heap gave back): the free
    // block joins the unused end, as free() would have done.
    const before = this.freeEnd.get(this.top);
    if (before !== undefined) {
      this.unlinkFree(before);
      this.top = before;
    }
  }

  /** Returns a block to the heap; freeing a pointer twice or one never allocated throws. */
  free(buf: F32Buf | number): void {
    const ptr = typeof buf === 'number' ? buf : buf.ptr;
    const size = this.sizeOf.get(ptr);
    if (size === undefined) throw new Error(`WasmHeap.free: ${ptr} is not an allocated block`);
    this.sizeOf.delete(ptr);
    this.live -= size;
    let start = ptr;
    let end = ptr + size;
    const before = this.freeEnd.get(start);
    if (before !== undefined) {
      this.unlinkFree(before);
      start = before;
    }
    const afterSize = this.freeStart.get(end);
    if (afterSize !== undefined) {
      this.unlinkFree(end);
      end += afterSize;
    }
    if (end === this.top) this.top = start;
    else this.linkFree(start, end - start);
  }

  /** A live Float32Array over the whole memory (rebuilt after growth). */
  get f32All(): Float32Array {
    if (this.f32Cache.buffer !== this.memory.buffer)
      this.f32Cache = new Float32Array(this.memory.buffer);
    return this.f32Cache;
  }

  /** A view of buf; valid until the memory grows. */
  view(buf: F32Buf): Float32Array {
    return this.f32All.subarray(buf.ptr >>> 2, (buf.ptr >>> 2) + buf.length);
  }

  /** buf's bytes read as i32 (max-pool arg-max indices, class labels: F32Bufs holding i32). */
  viewI32(buf: F32Buf): Int32Array {
    return new Int32Array(this.memory.buffer, buf.ptr, buf.length);
  }

  /** Allocates and fills a buffer with a copy of data. */
  fromArray(data: ArrayLike<number>, label?: string): F32Buf {
    const buf = this.allocF32(data.length, label);
    this.view(buf).set(data);
    return buf;
  }

  /**
   * A free block of at least size, split to size, or -1. The request's own class is searched for
   * the tightest of its first SCAN blocks (the steady state of training frees and asks for the
   * same sizes); otherwise the first block of the next non-empty class, which fits by
   * construction. Both are O(1); the remainder of a split goes back as a free block.
   */
  private takeFree(size: number): number {
    const c = classOf(size);
    let ptr = -1;
    let got = 0;
    let p = this.binHead[c];
    for (let seen = 0; p >= 0 && seen < SCAN; seen++) {
      const s = this.freeStart.get(p)!;
      if (s >= size && (ptr < 0 || s < got)) {
        ptr = p;
        got = s;
        if (s === size) break;
      }
      p = this.nextFree.get(p)!;
    }
    if (ptr < 0) {
      const k = this.firstClassFrom(c + 1);
      if (k < 0) return -1;
      ptr = this.binHead[k];
      got = this.freeStart.get(ptr)!;
    }
    this.unlinkFree(ptr);
    if (got > size) this.linkFree(ptr + size, got - size);
    this.sizeOf.set(ptr, size);
    this.live += size;
    return ptr;
  }

  private firstClassFrom(c: number): number {
    if (c >= CLASSES) return -1;
    let w = c >>> 5;
    let bits = this.nonEmpty[w] & (~0 << (c & 31));
    while (bits === 0) {
      if (++w >= WORDS) return -1;
      bits = this.nonEmpty[w];
    }
    return (w << 5) + (31 - Math.clz32(bits & -bits));
  }

  private linkFree(ptr: number, size: number): void {
    this.freeStart.set(ptr, size);
    this.freeEnd.set(ptr + size, ptr);
    const c = classOf(size);
    const head = this.binHead[c];
    this.nextFree.set(ptr, head);
    this.prevFree.set(ptr, -1);
    if (head >= 0) this.prevFree.set(head, ptr);
    this.binHead[c] = ptr;
    this.nonEmpty[c >>> 5] |= 1 << (c & 31);
  }

  private unlinkFree(ptr: number): void {
    const size = this.freeStart.get(ptr)!;
    this.freeStart.delete(ptr);
    this.freeEnd.delete(ptr + size);
    const c = classOf(size);
    const prev = this.prevFree.get(ptr)!;
    const next = this.nextFree.get(ptr)!;
    this.prevFree.delete(ptr);
    this.nextFree.delete(ptr);
    if (prev >= 0) this.nextFree.set(prev, next);
    else this.binHead[c] = next;
    if (next >= 0) this.prevFree.set(next, prev);
    if (this.binHead[c] < 0) this.nonEmpty[c >>> 5] &= ~(1 << (c & 31));
  }

  private outOfMemory(bytes: number, label: string | undefined, why: string): RangeError {
    return new RangeError(
      `simdgrad: out of Wasm memory allocating ${label ?? 'a block'} ` +
        `(${bytes} bytes); ${formatBytes(this.live)} live in ${this.sizeOf.size} blocks, ` +
        `${formatBytes(this.top)} reserved (${why})`
    );
  }
}
