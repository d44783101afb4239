// The runtime owns the Wasm linear memory: kernels never allocate, they get byte offsets planned
// here. Blocks are 64-byte aligned (cache lines; the kernels need 16) and recycled by exact size,
// since a training step asks for the same sizes every step.

/** A run of f32 values in the Wasm memory: byte offset and element count. */
export interface F32Buf {
  readonly ptr: number;
  readonly length: number;
}

const ALIGN = 64;
const PAGE = 65536;
const SLACK = 64;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly freeBySize = new Map<number, number[]>();
  private readonly sizeOf = new Map<number, number>();
  private f32Cache: Float32Array;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.top = Math.ceil(Math.max(heapBase, 1024) / ALIGN) * ALIGN;
    this.f32Cache = new Float32Array(memory.buffer);
  }

  /** Bytes handed out and not freed, plus recycled blocks held for reuse. */
  get reservedBytes(): number {
    return this.top;
  }

  /** Allocates room for length f32 values (contents unspecified). */
  allocF32(length: number): F32Buf {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`allocF32: length must be a non-negative integer, got ${length}`);
    }
    return { ptr: this.allocBytes(length * 4), length };
  }

  /** Allocates bytes (rounded up to 64) and returns the byte offset. */
  allocBytes(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const list = this.freeBySize.get(size);
    if (list && list.length > 0) {
      const ptr = list.pop()!;
      this.sizeOf.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    // SLACK bytes stay mapped past the last block: vector loads at a row's end may read (never
    // use) a few bytes beyond it.
    if (end + SLACK > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end + SLACK - this.memory.buffer.byteLength) / PAGE);
      try {
        this.memory.grow(pages);
      } catch (e) {
        throw new RangeError(`WasmHeap: cannot grow memory by ${pages} pages for ${bytes} bytes ` +
          `(${this.memory.buffer.byteLength} bytes in use): ${(e as Error).message}`);
      }
    }
    this.top = end;
    this.sizeOf.set(ptr, size);
    return ptr;
  }

  /** Returns a block to the heap; freeing a pointer twice or one never allocated throws. */
  free(buf: F32Buf | number): void {
    const ptr = typeof buf === 'number' ? buf : buf.ptr;
    const size = this.sizeOf.get(ptr);
    if (size === undefined) throw new Error(`WasmHeap.free: ${ptr} is not an allocated block`);
    this.sizeOf.delete(ptr);
    let list = this.freeBySize.get(size);
    if (!list) {
      list = [];
      this.freeBySize.set(size, list);
    }
    list.push(ptr);
  }

  /** A live Float32Array over the whole memory (rebuilt after growth). */
  get f32All(): Float32Array {
    if (this.f32Cache.buffer !== this.memory.buffer) this.f32Cache = new Float32Array(this.memory.buffer);
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
  fromArray(data: ArrayLike<number>): F32Buf {
    const buf = this.allocF32(data.length);
    this.view(buf).set(data);
    return buf;
  }
}
