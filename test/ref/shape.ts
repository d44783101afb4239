// Plain reference for assembly/shape.ts: one odometer loop over the box, any number of dims.

/** Returns a copy of dst with dst[dOff + sum(i*ds)] = src[sOff + sum(i*ss)] over shape. */
export function copy_strided_ref(
  shape: readonly number[],
  src: Float32Array,
  sOff: number,
  ss: readonly number[],
  dst: Float32Array,
  dOff: number,
  ds: readonly number[]
): Float32Array {
  const out = Float32Array.from(dst);
  const total = shape.reduce((a, d) => a * d, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let t = 0; t < total; t++) {
    let s = sOff;
    let d = dOff;
    for (let k = 0; k < shape.length; k++) {
      s += idx[k] * ss[k];
      d += idx[k] * ds[k];
    }
    out[d] = src[s];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}
