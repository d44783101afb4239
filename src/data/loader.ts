// Mini-batches over an in-memory dataset: seeded shuffling (the order of epoch e depends only on
// seed and e), gathered into contiguous f32 x [b, ...sampleShape] and targets y (i32 class labels
// [b] or f32 [b, ...targetShape]), in buffers reused from batch to batch. Pure (no Node, no Wasm).
// Tests: test/data/loader.test.ts.

/** Class labels (one i32 per sample) or float targets (f32, `targetShape` per sample). */
export type Targets = Int32Array | Float32Array;

export interface Sized {
  n: number;
  sampleShape: readonly number[];
  /** Shape of one sample's target: [] for class labels (the default), e.g. [1] or [3, 28, 28]
   * for float targets. */
  targetShape?: readonly number[];
}

/**
 * What DataLoader batches over: n samples of `sampleShape` each, row-major, and their targets.
 * An ImageDataset names the arrays `images` and `labels`, a TensorDataset `x` and `y`.
 */
export type LoaderDataset<Y extends Targets = Targets> =
  | (Sized & { images: Float32Array; labels: Y })
  | (Sized & { x: Float32Array; y: Y });

/** A dataset's inputs and targets, and the shape of one target, whichever names it uses. */
export function datasetArrays<Y extends Targets>(
  d: LoaderDataset<Y>
): { x: Float32Array; y: Y; targetShape: number[] } {
  const x = 'images' in d ? d.images : d.x;
  const y = 'images' in d ? d.labels : d.y;
  const targetShape = d.targetShape
    ? [...d.targetShape]
    : y instanceof Int32Array || y.length === d.n
      ? []
      : [y.length / d.n];
  return { x, y, targetShape };
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
 * produced (copy them to keep them). `x` is [size, ...sampleShape], `y` is [size, ...targetShape]
 * (class labels: [size]).
 */
export interface Batch<Y extends Targets = Targets> {
  x: Float32Array;
  y: Y;
  size: number;
  shape: number[];
  /** Shape of y: [size, ...targetShape]. */
  yShape: number[];
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
export class DataLoader<Y extends Targets = Targets> {
  readonly dataset: LoaderDataset<Y>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly sampleSize: number;
  /** Shape of one sample's target ([] for class labels). */
  readonly targetShape: readonly number[];
  private readonly targetSize: number;
  private readonly x: Float32Array;
  private readonly y: Y;
  private readonly xBuf: Float32Array;
  private readonly yBuf: Y;
  private readonly iBuf: Int32Array;
  private nextEpoch = 0;

  constructor(dataset: LoaderDataset<Y>, opts: DataLoaderOptions) {
    const { n, sampleShape } = dataset;
    const { x, y, targetShape } = datasetArrays(dataset);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`DataLoader: dataset.n must be an integer >= 0, got ${n}`);
    }
    if (!sampleShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(
        `DataLoader: dataset.sampleShape [${sampleShape.join(', ')}] must hold ` + 'integers > 0'
      );
    }
    const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    const xName = 'images' in dataset ? 'images' : 'x';
    const yName = 'images' in dataset ? 'labels' : 'y';
    if (x.length !== n * sampleSize) {
      throw new Error(
        `DataLoader: dataset.${xName}.length (${x.length}) must equal n (${n}) ` +
          `* prod(sampleShape [${sampleShape.join(', ')}]) = ${n * sampleSize}`
      );
    }
    if (!targetShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(
        `DataLoader: dataset.targetShape [${targetShape.join(', ')}] must hold ` + 'integers > 0'
      );
    }
    const targetSize = targetShape.reduce((a, b) => a * b, 1);
    if (y instanceof Int32Array && targetSize !== 1) {
      throw new Error(
        `DataLoader: class labels (Int32Array ${yName}) take one value per sample, ` +
          `but targetShape is [${targetShape.join(', ')}]`
      );
    }
    if (y.length !== n * targetSize) {
      throw new Error(
        targetShape.length === 0
          ? `DataLoader: dataset.${yName}.length (${y.length}) must equal n (${n})`
          : `DataLoader: dataset.${yName}.length (${y.length}) must equal n (${n}) * ` +
              `prod(targetShape [${targetShape.join(', ')}]) = ${n * targetSize}`
      );
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
    this.targetShape = targetShape;
    this.targetSize = targetSize;
    this.x = x;
    this.y = y;
    const b = Math.min(batchSize, n);
    this.xBuf = new Float32Array(b * sampleSize);
    this.yBuf = new (y.constructor as new (n: number) => Y)(b * targetSize);
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
  *epoch(epoch: number): Generator<Batch<Y>, void, undefined> {
    const order = this.order(epoch);
    const { sampleShape } = this.dataset;
    const { x, y } = this;
    const ss = this.sampleSize;
    const ts = this.targetSize;
    for (let b = 0; b < this.length; b++) {
      const from = b * this.batchSize;
      const size = Math.min(this.batchSize, order.length - from);
      for (let k = 0; k < size; k++) {
        const idx = order[from + k];
        this.xBuf.set(x.subarray(idx * ss, (idx + 1) * ss), k * ss);
        if (ts === 1) this.yBuf[k] = y[idx];
        else this.yBuf.set(y.subarray(idx * ts, (idx + 1) * ts), k * ts);
        this.iBuf[k] = idx;
      }
      yield {
        x: this.xBuf.subarray(0, size * ss),
        y: this.yBuf.subarray(0, size * ts) as Y,
        size,
        shape: [size, ...sampleShape],
        yShape: [size, ...this.targetShape],
        indices: this.iBuf.subarray(0, size),
      };
    }
  }

  /** Iterating the loader itself runs epochs 0, 1, 2, ... on successive loops (like PyTorch). */
  [Symbol.iterator](): Generator<Batch<Y>, void, undefined> {
    return this.epoch(this.nextEpoch++);
  }
}
