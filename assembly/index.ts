// The module's exports: every kernel family, bound by name by src/runtime/kernels/*.ts through
// kernel(rt, name), typed by src/runtime/kernels/abi.ts (scripts/gen-abi.mjs writes it from
// these exports at every build).
// Kernels take byte pointers into linear memory that the TypeScript runtime planned;
// nothing here allocates.
export { build_is_relaxed, heap_base } from "./simd";
export { simd_peak_loop, simd_peak_tile } from "./peak";
export { gemm_nn, gemm_nt, gemm_tn, gemm_tt, gemm_workspace_bytes } from "./gemm";
export { conv2d_fwd_nchw, conv2d_bwd_input_nchw, conv2d_bwd_weight_nchw, conv2d_bwd_bias_nchw, conv2d_workspace_bytes } from "./conv";
export { maxpool2d_fwd_nchw, maxpool2d_bwd_nchw, avgpool2d_fwd_nchw, avgpool2d_bwd_nchw, global_avgpool_fwd_nchw, global_avgpool_bwd_nchw } from "./pool";
export { relu_fwd, relu_bwd, add, mul, dropout_fwd, scale, axpy, bias_add_nchw, bias_add_rows, bias_grad_nchw, bias_grad_rows, fill, sum } from "./elementwise";
export { softmax_xent_fwd, softmax_xent_bwd } from "./loss";
export { sgd_step, adam_step } from "./optim";
export { batchnorm2d_fwd_train, batchnorm2d_fwd_eval, batchnorm2d_bwd, layernorm2d_fwd, layernorm2d_bwd, gelu_fwd, gelu_bwd, silu_fwd, silu_bwd } from "./norm";
export { binary_fwd_bcast4, sum_to_bcast4, unary_fwd, unary_bwd } from "./pointwise";
export { copy_strided } from "./shape";
export { reduce_sum, reduce_max, reduce_min, reduce_extreme_bwd, reduce_index_bwd, reduce_mean_var, reduce_var_bwd, softmax_fwd, log_softmax_fwd, softmax_bwd, log_softmax_bwd } from "./reduce";
export { layernorm_fwd_rows, layernorm_bwd_rows, groupnorm_fwd_nchw, groupnorm_bwd_nchw } from "./norm";
export { adaptive_avgpool2d_fwd_nchw, adaptive_avgpool2d_bwd_nchw, adaptive_maxpool2d_fwd_nchw } from "./pool";
export { resize_nearest_fwd_nchw, resize_nearest_bwd_nchw, resize_bilinear_fwd_nchw, resize_bilinear_bwd_nchw } from "./resize";
