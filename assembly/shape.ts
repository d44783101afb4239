// Strided copy: the one kernel behind transpose/permute/narrow/expand/contiguous and, with an
// output offset and strides, cat/stack/pad/split. Up to 6 dims (the binding collapses adjacent
// dims first and loops over any beyond 6); strides are in elements and may be 0 (broadcast).
// Tests: test/assembly/shape.test.ts against test/ref/shape.ts.

import { transpose4 } from "./simd";

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** One row of n values: dst[j * ds] = src[j * ss]; vector loads/stores where a side is dense. */
// @ts-ignore: decorator
@inline function copy_row(src: usize, ss: i32, dst: usize, ds: i32, n: i32): void {
  let j = 0;
  if (ss == 1 && ds == 1) {
    for (; j + 8 <= n; j += 8) {
      v128.store(at(dst, j), v128.load(at(src, j)));
      v128.store(at(dst, j), v128.load(at(src, j), 16), 16);
    }
    for (; j + 4 <= n; j += 4) v128.store(at(dst, j), v128.load(at(src, j)));
    for (; j < n; j++) store<f32>(at(dst, j), load<f32>(at(src, j)));
  } else if (ss == 0 && ds == 1) {
    const v = load<f32>(src);
    const vv = f32x4.splat(v);
    for (; j + 4 <= n; j += 4) v128.store(at(dst, j), vv);
    for (; j < n; j++) store<f32>(at(dst, j), v);
  } else if (ss == 1) {
    const dsb = <usize>ds << 2;
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(at(src, j));
      const d = dst + <usize>j * dsb;
      store<f32>(d, f32x4.extract_lane(v, 0));
      store<f32>(d + dsb, f32x4.extract_lane(v, 1));
      store<f32>(d + 2 * dsb, f32x4.extract_lane(v, 2));
      store<f32>(d + 3 * dsb, f32x4.extract_lane(v, 3));
    }
    for (; j < n; j++) store<f32>(dst + <usize>j * dsb, load<f32>(at(src, j)));
  } else {
    const ssb = <usize>ss << 2;
    const dsb = <usize>ds << 2;
    for (; j < n; j++) store<f32>(dst + <usize>j * dsb, load<f32>(src + <usize>j * ssb));
  }
}

// Tile edge of the blocked transpose: a 32x32 f32 tile is 4 KiB per side, in L1 together.
const TILE: i32 = 32;

/**
 * 2-D transpose: dst[i * ds0 + j] = src[i + j * ss1] for i < n0, j < n1 (src column-dense,
 * dst row-dense): 4x4 blocks transposed in registers, walked in TILE x TILE tiles.
 */
// @ts-ignore: decorator
@inline function transpose_2d(src: usize, ss1: i32, dst: usize, ds0: i32, n0: i32, n1: i32): void {
  const ssb = <usize>ss1 << 2;
  const dsb = <usize>ds0 << 2;
  for (let i0 = 0; i0 < n0; i0 += TILE) {
    const i1 = min(n0, i0 + TILE);
    const i4 = i0 + ((i1 - i0) & ~3);
    for (let j0 = 0; j0 < n1; j0 += TILE) {
      const j1 = min(n1, j0 + TILE);
      const j4 = j0 + ((j1 - j0) & ~3);
      for (let i = i0; i < i4; i += 4) {
        let j = j0;
        for (; j < j4; j += 4) {
          const s = at(src, i) + <usize>j * ssb;
          transpose4(v128.load(s), v128.load(s + ssb), v128.load(s + 2 * ssb),
            v128.load(s + 3 * ssb), at(dst + <usize>i * dsb, j), dsb);
        }
        for (; j < j1; j++) {
          const s = at(src, i) + <usize>j * ssb;
          for (let r = 0; r < 4; r++) {
            store<f32>(at(dst + <usize>(i + r) * dsb, j), load<f32>(at(s, r)));
          }
        }
      }
      for (let i = i4; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(at(dst + <usize>i * dsb, j), load<f32>(at(src, i) + <usize>j * ssb));
        }
      }
    }
  }
}

/**
 * dst[i0*ds0 + ... + i5*ds5] = src[i0*ss0 + ... + i5*ss5] over the 6-D box n0 x ... x n5
 * (strides in elements, dims of size 1 anywhere). The innermost two dims pick the inner loop:
 * a transposing pair (ss4 == 1, ds5 == 1) runs the blocked 4x4 transpose; otherwise rows run
 * with vector loads/stores on whichever side is dense.
 */
export function copy_strided(src: usize, dst: usize,
  n0: i32, n1: i32, n2: i32, n3: i32, n4: i32, n5: i32,
  ss0: i32, ss1: i32, ss2: i32, ss3: i32, ss4: i32, ss5: i32,
  ds0: i32, ds1: i32, ds2: i32, ds3: i32, ds4: i32, ds5: i32): void {
  const transposing = ss4 == 1 && ds5 == 1 && ss5 != 1 && n4 >= 4 && n5 >= 4;
  for (let i0 = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      for (let i2 = 0; i2 < n2; i2++) {
        for (let i3 = 0; i3 < n3; i3++) {
          const so = i0 * ss0 + i1 * ss1 + i2 * ss2 + i3 * ss3;
          const dof = i0 * ds0 + i1 * ds1 + i2 * ds2 + i3 * ds3;
          if (transposing) {
            transpose_2d(at(src, so), ss5, at(dst, dof), ds4, n4, n5);
            continue;
          }
          for (let i4 = 0; i4 < n4; i4++) {
            copy_row(at(src, so + i4 * ss4), ss5, at(dst, dof + i4 * ds4), ds5, n5);
          }
        }
      }
    }
  }
}
