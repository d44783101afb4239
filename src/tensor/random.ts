// The seeded generators behind randn/rand, parameter init and dropout masks: a Generator is one
// xoshiro128** stream (32-bit state words, fast in JS); random ops draw from the current one, the
// default generator (manualSeed(s) makes a run repeatable) unless withGenerator() runs code
// with another (a training step's, seeded per step). Tests: test/tensor/random.test.ts.

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export interface GeneratorOptions {
  /**
   * Where this thread's rows start in the whole minibatch (a data-parallel shard's first row;
   * default 0). Ops that draw per element of a batch (dropout) number the elements from there,
   * so a shard draws those rows of what one thread would draw for the whole batch.
   */
  batchRowOffset?: number;
}

/** A seeded stream of random numbers (as torch.Generator). */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  readonly batchRowOffset: number;

  constructor(seed = 0, opts: GeneratorOptions = {}) {
    this.manualSeed(seed);
    this.batchRowOffset = opts.batchRowOffset ?? 0;
  }

  /** Restarts the stream from seed (as Generator.manual_seed). */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed))
      throw new RangeError(`manualSeed: seed must be a finite number, got ${seed}`);
    const next = splitmix32(Math.floor(seed));
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    return this;
  }

  /** A uniform u32. */
  nextU32(): number {
    let { s0, s1, s2, s3 } = this;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3;
    return result;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Fills out with uniform values in [lo, hi): the values nextFloat() would give, one per
   * element, with the state in locals (fields cost ~35 ns a value; this ~3). */
  fillUniform(out: Float32Array, lo: number, hi: number): void {
    let a = this.s0,
      b = this.s1,
      c = this.s2,
      d = this.s3;
    const scale = (hi - lo) / 4294967296;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(b, 5);
      const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      out[i] = lo + scale * result;
    }
    this.s0 = a >>> 0;
    this.s1 = b >>> 0;
    this.s2 = c >>> 0;
    this.s3 = d >>> 0;
  }

  /** Fills out with normal values (Box-Muller). */
  fillNormal(out: Float32Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i += 2) {
      const u1 = 1 - this.nextFloat();
      const u2 = this.nextFloat();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
  }
}

/** The generator manualSeed seeds (torch's default generator). */
const defaultGenerator = new Generator(0);
let current = defaultGenerator;

/** Seeds the default generator (as torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

/** The generator random ops draw from now: withGenerator's, else the default one. */
export function currentGenerator(): Generator {
  return current;
}

/**
 * Runs fn with every random op drawing from generator, then makes the previous one current
 * again (also when fn throws). A training step runs under a generator seeded with the step's
 * seed, so one thread and every data-parallel shard draw the same masks.
 */
export function withGenerator<T>(generator: Generator, fn: () => T): T {
  const prev = current;
  current = generator;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** A uniform u32 from the current generator. */
export function nextU32(): number {
  return current.nextU32();
}

/** Uniform in [0, 1) from the current generator. */
export function nextFloat(): number {
  return current.nextFloat();
}

/** Fills out with uniform values in [lo, hi) from the current generator. */
export function fillUniform(out: Float32Array, lo: number, hi: number): void {
  current.fillUniform(out, lo, hi);
}

/** Fills out with standard normal values from the current generator (Box-Muller). */
export function fillNormal(out: Float32Array, mean = 0, std = 1): void {
  current.fillNormal(out, mean, std);
}
