// The module's exports: every kernel family, bound by name by src/runtime/kernels.ts.
// Kernels take byte pointers into linear memory that the TypeScript runtime planned;
// nothing here allocates.
export { build_is_relaxed, heap_base } from "./simd";
export { simd_peak_loop, simd_peak_tile } from "./peak";
export { gemm_nn, gemm_nt, gemm_tn, gemm_tt, gemm_workspace_bytes } from "./gemm";
export { conv2d_fwd_nchw, conv2d_bwd_input_nchw, conv2d_bwd_weight_nchw, conv2d_bwd_bias_nchw, conv2d_workspace_bytes } from "./conv";
