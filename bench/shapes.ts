// The shapes the kernel benchmarks run. CASES (`simdgrad bench --suite kernels`): GEMM squares,
// the GEMMs and convs of the small MNIST CNN at batch 128 (conv3x3x32 -> relu -> conv3x3x64 ->
// relu -> maxpool2 -> dropout -> dense 9216->128 -> relu -> dense 128->10), a stride-2 conv,
// depthwise convs (3x3, 5x5, 7x7, 3x3 stride 2) and a max pool; `simdgrad bench` (bench/report.ts) picks its own few with the same constructors.
// Layouts are ours: NCHW activations, OIHW weights; peers transpose to their own.

export interface GemmCase {
  kind: 'gemm';
  id: string;
  label: string;
  m: number;
  n: number;
  k: number;
  /** A stored [K,M] (op(A) = A^T). */
  transA: boolean;
  /** B stored [N,K] (op(B) = B^T). */
  transB: boolean;
}

export type ConvDirection = 'fwd' | 'bwd_input' | 'bwd_weight';

export interface ConvCase {
  kind: 'conv';
  id: string;
  label: string;
  direction: ConvDirection;
  /** Input [N,C,H,W]. */
  x: [number, number, number, number];
  /** Weight [O,C/groups,KH,KW]. */
  w: [number, number, number, number];
  stride: number;
  padding: number;
  groups: number;
  /** Set on the three rows of a convTranspose2d (F.convTranspose2d runs the conv kernels with
   * the roles swapped): the layer as the user writes it, and which of its directions this
   * conv-kernel case times (fwd = conv bwd_input, bwd_input = conv fwd, bwd_weight = conv
   * bwd_weight with x and dy swapped). x and w above are the equivalent conv's. */
  transposed?: { x: [number, number, number, number]; direction: ConvDirection };
}

/** Memory-bound work, measured in GB/s: a broadcast add of a per-channel operand, softmax over
 * the last dim, a sum over dim 1 (channels); the kernels suite adds the norm family's
 * channels-first LayerNorm and GELU, forward and backward (TF.js has neither kernel). */
export interface EltwiseCase {
  kind: 'eltwise';
  id: string;
  label: string;
  op:
    | 'add_bcast'
    | 'softmax'
    | 'sum_dim1'
    | 'layernorm2d_fwd'
    | 'layernorm2d_bwd'
    | 'gelu_fwd'
    | 'gelu_bwd';
  /** The input; [N,C,H,W] for add_bcast and sum_dim1 (the add's operand is [C,1,1]), [rows,
   * cols] for softmax. */
  x: number[];
}

export interface PoolCase {
  kind: 'pool';
  id: string;
  label: string;
  /** Input [N,C,H,W]. */
  x: [number, number, number, number];
  k: number;
  stride: number;
}

export type BenchCase = GemmCase | ConvCase | PoolCase | EltwiseCase;

export function gemmCase(
  id: string,
  label: string,
  m: number,
  n: number,
  k: number,
  layout: string
): GemmCase {
  return { kind: 'gemm', id, label, m, n, k, transA: layout[0] === 't', transB: layout[1] === 't' };
}

export function convCases(
  id: string,
  label: string,
  x: ConvCase['x'],
  w: ConvCase['w'],
  stride: number,
  padding: number,
  groups: number
): ConvCase[] {
  const dirs: ConvDirection[] = ['fwd', 'bwd_input', 'bwd_weight'];
  return dirs.map((direction) => ({
    kind: 'conv',
    id: `${id}.${direction}`,
    label: `${label} ${direction}`,
    direction,
    x,
    w,
    stride,
    padding,
    groups,
  }));
}

/**
 * The three directions of convTranspose2d(x, w, stride, padding) with x [N,Cin,H,W] and w
 * [Cin,Cout,KH,KW] (PyTorch's layout), as cases of the equivalent conv (input [N,Cout,OH,OW],
 * weight [Cin,Cout,KH,KW] read as OIHW) whose kernels they run.
 */
export function convTransposeCases(
  id: string,
  label: string,
  x: ConvCase['x'],
  w: ConvCase['w'],
  stride: number,
  padding: number
): ConvCase[] {
  const [n, , h, wd] = x;
  const oh = (h - 1) * stride - 2 * padding + w[2];
  const ow = (wd - 1) * stride - 2 * padding + w[3];
  const kernelOf: Record<ConvDirection, ConvDirection> = {
    fwd: 'bwd_input',
    bwd_input: 'fwd',
    bwd_weight: 'bwd_weight',
  };
  return (['fwd', 'bwd_input', 'bwd_weight'] as const).map((direction) => ({
    kind: 'conv',
    id: `${id}.${direction}`,
    label: `${label} ${direction}`,
    direction: kernelOf[direction],
    x: [n, w[1], oh, ow],
    w,
    stride,
    padding,
    groups: 1,
    transposed: { x, direction },
  }));
}

/** The memory-bound rows: x [n,128,28,28] + b [128,1,1], softmax of [rows,1000] over the last
 * dim, x [n,128,28,28] summed over dim 1. */
export function eltwiseCases(n: number, rows: number): EltwiseCase[] {
  return [
    {
      kind: 'eltwise',
      id: 'eltwise.add_bcast',
      label: 'add [C,1,1] broadcast',
      op: 'add_bcast',
      x: [n, 128, 28, 28],
    },
    {
      kind: 'eltwise',
      id: 'eltwise.softmax',
      label: 'softmax last dim',
      op: 'softmax',
      x: [rows, 1000],
    },
    {
      kind: 'eltwise',
      id: 'eltwise.sum_dim1',
      label: 'sum over channels',
      op: 'sum_dim1',
      x: [n, 128, 28, 28],
    },
  ];
}

/** Bytes an element-wise case must move at least: every input read once, the output written
 * once (softmax reads its row again from cache, which is not counted). */
export function eltwiseBytes(c: EltwiseCase): number {
  const xs = c.x.reduce((a, b) => a * b, 1);
  if (c.op === 'add_bcast') return 4 * (2 * xs + c.x[1]);
  if (c.op === 'sum_dim1') return 4 * (xs + xs / c.x[1]);
  // Backward: x and dy read, dx written (the per-pixel or per-channel extras are not counted).
  if (c.op === 'layernorm2d_bwd' || c.op === 'gelu_bwd') return 4 * 3 * xs;
  return 4 * 2 * xs;
}

const B = 128;

export const CASES: BenchCase[] = [
  gemmCase('gemm.256', 'gemm 256x256x256 nn', 256, 256, 256, 'nn'),
  gemmCase('gemm.512', 'gemm 512x512x512 nn', 512, 512, 512, 'nn'),
  gemmCase('gemm.1024', 'gemm 1024x1024x1024 nn', 1024, 1024, 1024, 'nn'),
  // dense 9216->128 at batch 128, W [out,in]: y = x W^T (nt), dX = dY W (nn), dW = dY^T X (tn).
  gemmCase('mnist.fc1.fwd', `mnist fc1 fwd y=xW^T [${B},9216]x[128,9216]^T nt`, B, 128, 9216, 'nt'),
  gemmCase('mnist.fc1.dx', `mnist fc1 dX=dY W [${B},128]x[128,9216] nn`, B, 9216, 128, 'nn'),
  gemmCase('mnist.fc1.dw', `mnist fc1 dW=dY^T X [${B},128]^Tx[${B},9216] tn`, 128, 9216, B, 'tn'),
  gemmCase('mnist.fc2.fwd', `mnist fc2 fwd y=xW^T [${B},128]x[10,128]^T nt`, B, 10, 128, 'nt'),
  gemmCase('mnist.fc2.dx', `mnist fc2 dX=dY W [${B},10]x[10,128] nn`, B, 128, 10, 'nn'),
  gemmCase('mnist.fc2.dw', `mnist fc2 dW=dY^T X [${B},10]^Tx[${B},128] tn`, 10, 128, B, 'tn'),
  ...convCases(
    'conv.mnist2',
    'conv mnist conv2 x[64,32,26,26] w[64,32,3,3] s1 p0',
    [64, 32, 26, 26],
    [64, 32, 3, 3],
    1,
    0,
    1
  ),
  ...convCases(
    'conv.s2',
    'conv stride2 x[32,64,28,28] w[128,64,3,3] s2 p1',
    [32, 64, 28, 28],
    [128, 64, 3, 3],
    2,
    1,
    1
  ),
  ...convCases(
    'conv.dw',
    'conv depthwise x[32,128,28,28] w[128,1,3,3] s1 p1 g128',
    [32, 128, 28, 28],
    [128, 1, 3, 3],
    1,
    1,
    128
  ),
  // EfficientNet's 5x5 and ConvNeXt's 7x7 depthwise convs, and MobileNet's stride-2 3x3.
  ...convCases(
    'conv.dw5',
    'conv depthwise x[32,128,28,28] w[128,1,5,5] s1 p2 g128',
    [32, 128, 28, 28],
    [128, 1, 5, 5],
    1,
    2,
    128
  ),
  ...convCases(
    'conv.dw7',
    'conv depthwise x[32,128,28,28] w[128,1,7,7] s1 p3 g128',
    [32, 128, 28, 28],
    [128, 1, 7, 7],
    1,
    3,
    128
  ),
  ...convCases(
    'conv.dws2',
    'conv depthwise x[32,128,28,28] w[128,1,3,3] s2 p1 g128',
    [32, 128, 28, 28],
    [128, 1, 3, 3],
    2,
    1,
    128
  ),
  {
    kind: 'pool',
    id: 'pool.max2',
    label: 'maxpool 2x2 s2 x[64,64,24,24]',
    x: [64, 64, 24, 24],
    k: 2,
    stride: 2,
  },
  // DCGAN's 8x8 -> 16x16 generator layer.
  ...convTransposeCases(
    'convT.dcgan',
    'convTranspose2d x[64,128,8,8] w[128,64,4,4] s2 p1',
    [64, 128, 8, 8],
    [128, 64, 4, 4],
    2,
    1
  ),
  ...eltwiseCases(64, 4096).map((c) => ({ ...c, label: `${c.label} x[${c.x}]` })),
  ...(['layernorm2d_fwd', 'layernorm2d_bwd', 'gelu_fwd', 'gelu_bwd'] as const).map((op) => ({
    kind: 'eltwise' as const,
    id: `norm.${op}`,
    label: `${op} x[32,96,28,28]`,
    op,
    x: [32, 96, 28, 28],
  })),
];

export function convOutHW(c: ConvCase): [number, number] {
  const oh = Math.floor((c.x[2] + 2 * c.padding - c.w[2]) / c.stride) + 1;
  const ow = Math.floor((c.x[3] + 2 * c.padding - c.w[3]) / c.stride) + 1;
  return [oh, ow];
}

export function poolOutHW(p: PoolCase): [number, number] {
  return [Math.floor((p.x[2] - p.k) / p.stride) + 1, Math.floor((p.x[3] - p.k) / p.stride) + 1];
}

/** Multiply-adds count 2: GEMM 2*M*N*K; conv 2*N*O*OH*OW*(C/groups)*KH*KW in every direction. */
export function flopsOf(c: BenchCase): number {
  if (c.kind === 'gemm') return 2 * c.m * c.n * c.k;
  if (c.kind === 'conv') {
    const [oh, ow] = convOutHW(c);
    return 2 * c.x[0] * c.w[0] * oh * ow * (c.x[1] / c.groups) * c.w[2] * c.w[3];
  }
  return 0;
}

/** Pooling moves memory: input read plus output written (4 bytes each), argmax separately. */
export function poolBytes(p: PoolCase, withArgmax: boolean): number {
  const [oh, ow] = poolOutHW(p);
  const xs = p.x[0] * p.x[1] * p.x[2] * p.x[3];
  const ys = p.x[0] * p.x[1] * oh * ow;
  return 4 * (xs + ys + (withArgmax ? ys : 0));
}
