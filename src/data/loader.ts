// Mini-batches over an in-memory dataset: seeded shuffling (the order of epoch e depends only on
// seed and e), gathered into contiguous f32 x [b, ...sampleShape] and i32 y, in buffers reused from
// batch to batch. Pure (no Node, no Wasm). Tests: test/data/loader.test.ts.

/** What DataLoader batches over: n samples of `sampleShape` each, row-major, and n labels. */
export interface LoaderDataset {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  sampleShape: readonly number[];
}

export interface DataLoaderOptions {
  batchSize: number;
  /** Permute the samples each epoch (default false: 0..n-1 every epoch). */
  shuffle?: boolean;
  /** Seed of the permutations, a 32-bit integer (default 0). */
  seed?: number;
  /** Drop the last batch when it has fewer than batchSize samples (default false). */
  dropLast?: boolean;
}

/**
 * One batch. `x` and `y` are views into the loader's buffers: valid only until the next batch is
 * produced (copy them to keep them). `x` is [size, ...sampleShape], `y` is [size].
 */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
  shape: number[];
  /** Dataset indices of the samples, in batch order. */
  indices: Int32Array;
}

/** mulberry32: a 32-bit state, 2^32 period; plenty for permuting up to millions of samples. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// murmur3's finalizer: nearby (seed, epoch) pairs give unrelated PRNG states.
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The sample order of epoch `epoch`: a Fisher-Yates permutation of 0..n-1 drawn from mulberry32
 * seeded by (seed, epoch) alone. floor(u * (i + 1)) with 32-bit u is biased by at most
 * n / 2^32, far below what a training run can notice.
 */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rand = mulberry32(mix32(mix32(seed >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b9)));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Batches over an in-memory dataset.
 *
 * @example
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 42 });
 * for (let e = 0; e < 10; e++) {
 *   for (const { x, y, size } of loader.epoch(e)) step(x, y, size); // x, y reused: copy to keep
 * }
 */
export class DataLoader {
  readonly dataset: LoaderDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly sampleSize: number;
  private readonly xBuf: Float32Array;
  private readonly yBuf: Int32Array;
  private readonly iBuf: Int32Array;
  private nextEpoch = 0;

  constructor(dataset: LoaderDataset, opts: DataLoaderOptions) {
    const { images, labels, n, sampleShape } = dataset;
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`DataLoader: dataset.n must be an integer >= 0, got ${n}`);
    }
    if (!sampleShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`DataLoader: dataset.sampleShape [${sampleShape.join(', ')}] must hold ` +
        'integers > 0');
    }
    const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    if (images.length !== n * sampleSize) {
      throw new Error(`DataLoader: dataset.images.length (${images.length}) must equal n (${n}) ` +
        `* prod(sampleShape [${sampleShape.join(', ')}]) = ${n * sampleSize}`);
    }
    if (labels.length !== n) {
      throw new Error(`DataLoader: dataset.labels.length (${labels.length}) must equal n (${n})`);
    }
    const { batchSize, shuffle = false, seed = 0, dropLast = false } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be an integer >= 1, got ${batchSize}`);
    }
    if (!Number.isInteger(seed)) {
      throw new Error(`DataLoader: seed must be an integer, got ${seed}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.sampleSize = sampleSize;
    const b = Math.min(batchSize, n);
    this.xBuf = new Float32Array(b * sampleSize);
    this.yBuf = new Int32Array(b);
    this.iBuf = new Int32Array(b);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of `epoch` (identity unless shuffle). */
  order(epoch: number): Int32Array {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new Error(`DataLoader: epoch must be an integer >= 0, got ${epoch}`);
    }
    const n = this.dataset.n;
    if (this.shuffle) return epochOrder(n, this.seed, epoch);
    return Int32Array.from({ length: n }, (_, i) => i);
  }

  /** The batches of epoch `epoch`; each is valid only until the next one is taken. */
  *epoch(epoch: number): Generator<Batch, void, undefined> {
    const order = this.order(epoch);
    const { images, labels, sampleShape } = this.dataset;
    const ss = this.sampleSize;
    for (let b = 0; b < this.length; b++) {
      const from = b * this.batchSize;
      const size = Math.min(this.batchSize, order.length - from);
      for (let k = 0; k < size; k++) {
        const idx = order[from + k];
        this.xBuf.set(images.subarray(idx * ss, (idx + 1) * ss), k * ss);
        this.yBuf[k] = labels[idx];
        this.iBuf[k] = idx;
      }
      yield {
        x: this.xBuf.subarray(0, size * ss),
        y: this.yBuf.subarray(0, size),
        size,
        shape: [size, ...sampleShape],
        indices: this.iBuf.subarray(0, size),
      };
    }
  }

  /** Iterating the loader itself runs epochs 0, 1, 2, ... on successive loops (like PyTorch). */
  [Symbol.iterator](): Generator<Batch, void, undefined> {
    return this.epoch(this.nextEpoch++);
  }
}
