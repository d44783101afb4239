// The seeded generator behind randn/rand, parameter init and dropout masks: manualSeed(s)
// makes a run repeatable. xoshiro128** (32-bit state words, fast in JS).

let s0 = 0, s1 = 0, s2 = 0, s3 = 0;

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

/** Seeds the global generator (as torch.manual_seed). */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new RangeError(`manualSeed: seed must be a finite number, got ${seed}`);
  const next = splitmix32(Math.floor(seed));
  s0 = next(); s1 = next(); s2 = next(); s3 = next();
}
manualSeed(0);

/** A uniform u32. */
export function nextU32(): number {
  const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 = (s2 ^ t) >>> 0;
  s3 = rotl(s3, 11);
  s0 >>>= 0; s1 >>>= 0;
  return result;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Uniform in [0, 1). */
export function nextFloat(): number {
  return nextU32() / 4294967296;
}

/** Fills out with uniform values in [lo, hi): the values nextFloat() would give, one per element,
 * with the generator's state in locals (module-level state costs ~35 ns a value; this ~3). */
export function fillUniform(out: Float32Array, lo: number, hi: number): void {
  let a = s0, b = s1, c = s2, d = s3;
  const scale = (hi - lo) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a; d ^= b; b ^= c; a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    out[i] = lo + scale * result;
  }
  s0 = a >>> 0; s1 = b >>> 0; s2 = c >>> 0; s3 = d >>> 0;
}

/** Fills out with standard normal values (Box-Muller). */
export function fillNormal(out: Float32Array, mean = 0, std = 1): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - nextFloat();
    const u2 = nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
}
