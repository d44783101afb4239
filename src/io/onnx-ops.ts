// How each traced op becomes ONNX nodes (opset 17..21): one entry per op name the ops record,
// most a single node, a few short decompositions (GELU with Erf, group norm with
// InstanceNormalization, ConvNeXt's channel LayerNorm between Transposes). An op missing here
// cannot be exported and the error names it. Tests: test/io/onnx.test.ts (ONNX Runtime).

import type { Conv2dGeometry } from '../runtime/kernels/conv.js';
import type { Pool2dGeometry } from '../runtime/kernels/pool.js';
import type { TraceNode } from './onnx-trace.js';

/** An attribute: an integer (INT), integers (INTS), { f } (FLOAT) or { s } (STRING). */
export type Attr = number | readonly number[] | { f: number } | { s: string };

export const f = (v: number): { f: number } => ({ f: v });

/** What a converter sees of one traced op and how it emits ONNX nodes. */
export interface Ctx {
  readonly node: TraceNode;
  readonly attrs: Record<string, unknown>;
  readonly opset: number;
  /** The name the op's output must have. */
  readonly out: string;
  /** The name of input i ('' when the op got null there, as an optional bias). */
  input(i: number): string;
  has(i: number): boolean;
  /** Input i's shape at the example's batch size. */
  shape(i: number): readonly number[];
  /** Which of input i's dims follow the batch size. */
  dynamic(i: number): readonly boolean[];
  readonly outShape: readonly number[];
  readonly outDynamic: readonly boolean[];
  /** The name of a tensor the op took in its attributes (a ValueRef). */
  ref(r: unknown): string;
  /** Adds a node; its output is `output` or a fresh name, returned. */
  emit(
    op: string,
    inputs: readonly string[],
    attrs?: Record<string, Attr>,
    output?: string
  ): string;
  /** A float32 (or int64) initializer; a 0-d one when shape is []. */
  f32(values: ArrayLike<number>, shape?: readonly number[]): string;
  i64(values: ArrayLike<number>, shape?: readonly number[]): string;
  fail(why: string): never;
}

type Converter = (c: Ctx) => void;

const FLOAT = 1;
const INT64 = 7;

function optional(c: Ctx, ...idx: number[]): string[] {
  return idx.filter((i) => c.has(i)).map((i) => c.input(i));
}

/** A reduction: axes as an attribute before opset 18 (ReduceSum: 13), as an input from then. */
function reduce(
  c: Ctx,
  op: string,
  x: string,
  axes: readonly number[],
  keepdims: boolean,
  output?: string
): string {
  const inputAxes = op === 'ReduceSum' || c.opset >= 18;
  if (inputAxes) return c.emit(op, [x, c.i64(axes)], { keepdims: keepdims ? 1 : 0 }, output);
  return c.emit(op, [x], { axes, keepdims: keepdims ? 1 : 0 }, output);
}

/** A reshape target for shape: dims that follow the batch become -1 (at most one may). */
function target(c: Ctx, shape: readonly number[], dynamic: readonly boolean[]): string {
  if (dynamic.filter(Boolean).length > 1) {
    c.fail(
      `its output ${fmtDyn(shape, dynamic)} has more than one dim that follows the batch size`
    );
  }
  return c.i64(shape.map((d, i) => (dynamic[i] ? -1 : d)));
}

function fmtDyn(shape: readonly number[], dynamic: readonly boolean[]): string {
  return `[${shape.map((d, i) => (dynamic[i] ? 'N' : String(d))).join(',')}]`;
}

/** A per-channel vector [C] shaped [C, 1, ...] to broadcast over [N, C, ...] of rank r. */
function perChannel(c: Ctx, v: string, channels: number, rank: number): string {
  return c.emit('Reshape', [v, c.i64([channels, ...new Array<number>(rank - 2).fill(1)])]);
}

const unary =
  (op: string): Converter =>
  (c) => {
    c.emit(op, [c.input(0)], {}, c.out);
  };

const binary =
  (op: string): Converter =>
  (c) => {
    c.emit(op, [c.input(0), c.input(1)], {}, c.out);
  };

const compare =
  (op: string, negate = false): Converter =>
  (c) => {
    let y = c.emit(op, [c.input(0), c.input(1)]);
    if (negate) y = c.emit('Not', [y]);
    c.emit('Cast', [y], { to: FLOAT }, c.out);
  };

function pool(op: string): Converter {
  return (c) => {
    const g = c.attrs as unknown as Pool2dGeometry;
    const attrs: Record<string, Attr> = {
      kernel_shape: [g.kh, g.kw],
      strides: [g.sh, g.sw],
      pads: [g.ph, g.pw, g.ph, g.pw],
    };
    if (op === 'AveragePool') attrs.count_include_pad = g.countIncludePad ? 1 : 0;
    c.emit(op, [c.input(0)], attrs, c.out);
  };
}

function adaptivePool(kind: 'Average' | 'Max'): Converter {
  return (c) => {
    const [, , h, w] = c.shape(0);
    const [, , oh, ow] = c.outShape;
    if (oh === 1 && ow === 1) {
      c.emit(`Global${kind}Pool`, [c.input(0)], {}, c.out);
    } else if (h % oh === 0 && w % ow === 0) {
      const k = [h / oh, w / ow];
      c.emit(`${kind}Pool`, [c.input(0)], { kernel_shape: k, strides: k }, c.out);
    } else {
      // Uneven windows (PyTorch's [floor(i*H/OH), ceil((i+1)*H/OH))): the window is a product
      // of a row range and a column range, so rows then columns, one Slice + Reduce per cell.
      const rows = adaptiveAxis(c, kind, c.input(0), 2, h, oh);
      adaptiveAxis(c, kind, rows, 3, w, ow, c.out);
    }
  };
}

function adaptiveAxis(
  c: Ctx,
  kind: 'Average' | 'Max',
  x: string,
  axis: number,
  size: number,
  out: number,
  output?: string
): string {
  if (size === out) return output ? c.emit('Identity', [x], {}, output) : x;
  const op = kind === 'Average' ? 'ReduceMean' : 'ReduceMax';
  const parts = Array.from({ length: out }, (_, i) => {
    const lo = Math.floor((i * size) / out);
    const hi = Math.ceil(((i + 1) * size) / out);
    const cell = c.emit('Slice', [x, c.i64([lo]), c.i64([hi]), c.i64([axis])]);
    return reduce(c, op, cell, [axis], true);
  });
  return c.emit('Concat', parts, { axis }, output);
}

function argExtreme(op: string): Converter {
  return (c) => {
    const dim = c.attrs.dim as number | undefined;
    const keepdim = c.attrs.keepdim as boolean;
    let x = c.input(0);
    if (dim === undefined) {
      x = c.emit('Reshape', [x, c.i64([-1])]);
      const i = c.emit(op, [x], { axis: 0, keepdims: 0 });
      const y = c.emit('Cast', [i], { to: FLOAT });
      c.emit('Reshape', [y, c.i64(c.outShape)], {}, c.out);
      return;
    }
    const i = c.emit(op, [x], { axis: dim, keepdims: keepdim ? 1 : 0 });
    c.emit('Cast', [i], { to: FLOAT }, c.out);
  };
}

function reduction(op: string): Converter {
  return (c) => {
    const dims = c.attrs.dims as number[];
    if (c.shape(0).length === 0) {
      c.emit('Identity', [c.input(0)], {}, c.out);
      return;
    }
    reduce(c, op, c.input(0), dims, c.attrs.keepdim as boolean, c.out);
  };
}

function resize(c: Ctx): void {
  const mode = c.attrs.mode as 'nearest' | 'bilinear';
  const alignCorners = c.attrs.alignCorners as boolean;
  const sf = c.attrs.scaleFactor as number | readonly [number, number] | undefined;
  const attrs: Record<string, Attr> =
    mode === 'nearest'
      ? {
          mode: { s: 'nearest' },
          coordinate_transformation_mode: { s: 'asymmetric' },
          nearest_mode: { s: 'floor' },
        }
      : {
          mode: { s: 'linear' },
          coordinate_transformation_mode: {
            s: alignCorners ? 'align_corners' : 'pytorch_half_pixel',
          },
        };
  if (sf !== undefined) {
    const [sh, sw] = typeof sf === 'number' ? [sf, sf] : sf;
    c.emit('Resize', [c.input(0), '', c.f32([1, 1, sh, sw])], attrs, c.out);
    return;
  }
  // sizes = [N, C] of the input (the batch may vary) then the output's [H, W].
  const nc = c.emit('Slice', [c.emit('Shape', [c.input(0)]), c.i64([0]), c.i64([2]), c.i64([0])]);
  const sizes = c.emit('Concat', [nc, c.i64(c.outShape.slice(2))], { axis: 0 });
  c.emit('Resize', [c.input(0), '', '', sizes], attrs, c.out);
}

export const CONVERTERS: Record<string, Converter> = {
  conv2d(c) {
    const g = c.attrs as unknown as Conv2dGeometry;
    c.emit(
      'Conv',
      [c.input(0), c.input(1), ...optional(c, 2)],
      {
        kernel_shape: [g.kh, g.kw],
        strides: [g.sh, g.sw],
        pads: [g.ph, g.pw, g.ph, g.pw],
        dilations: [g.dh, g.dw],
        group: g.groups,
      },
      c.out
    );
  },
  convTranspose2d(c) {
    const g = c.attrs as unknown as Conv2dGeometry;
    const [, , h, w] = c.shape(0);
    const [, , oh, ow] = c.outShape;
    const base = (n: number, s: number, p: number, d: number, k: number): number =>
      (n - 1) * s - 2 * p + d * (k - 1) + 1;
    c.emit(
      'ConvTranspose',
      [c.input(0), c.input(1), ...optional(c, 2)],
      {
        kernel_shape: [g.kh, g.kw],
        strides: [g.sh, g.sw],
        pads: [g.ph, g.pw, g.ph, g.pw],
        dilations: [g.dh, g.dw],
        group: g.groups,
        output_padding: [
          oh - base(h, g.sh, g.ph, g.dh, g.kh),
          ow - base(w, g.sw, g.pw, g.dw, g.kw),
        ],
      },
      c.out
    );
  },
  linear(c) {
    if (c.shape(0).length === 2) {
      c.emit('Gemm', [c.input(0), c.input(1), ...optional(c, 2)], { transB: 1 }, c.out);
      return;
    }
    const wt = c.emit('Transpose', [c.input(1)], { perm: [1, 0] });
    if (!c.has(2)) {
      c.emit('MatMul', [c.input(0), wt], {}, c.out);
      return;
    }
    c.emit('Add', [c.emit('MatMul', [c.input(0), wt]), c.input(2)], {}, c.out);
  },
  matmul: binary('MatMul'),
  maxPool2d: pool('MaxPool'),
  avgPool2d: pool('AveragePool'),
  adaptiveAvgPool2d: adaptivePool('Average'),
  adaptiveMaxPool2d: adaptivePool('Max'),
  'batchNorm(eval)'(c) {
    const ch = c.shape(0)[1];
    const scale = c.has(1) ? c.input(1) : c.f32(new Float32Array(ch).fill(1), [ch]);
    const bias = c.has(2) ? c.input(2) : c.f32(new Float32Array(ch), [ch]);
    const stats = [c.ref(c.attrs.runningMean), c.ref(c.attrs.runningVar)];
    c.emit(
      'BatchNormalization',
      [c.input(0), scale, bias, ...stats],
      { epsilon: f(c.attrs.eps as number) },
      c.out
    );
  },
  batchNorm(c) {
    c.fail(
      'batch norm with batch statistics (a module in training mode, or trackRunningStats: ' +
        'false) has no ONNX mapping; export modules that keep running statistics'
    );
  },
  layerNorm(c) {
    const ns = c.attrs.normalizedShape as number[];
    const size = ns.reduce((a, d) => a * d, 1);
    const scale = c.has(1) ? c.input(1) : c.f32(new Float32Array(size).fill(1), ns);
    c.emit(
      'LayerNormalization',
      [c.input(0), scale, ...optional(c, 2)],
      { axis: -ns.length, epsilon: f(c.attrs.eps as number) },
      c.out
    );
  },
  layerNorm2d(c) {
    const rank = c.shape(0).length;
    const ch = c.shape(0)[1];
    const last = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
    const back = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
    const t = c.emit('Transpose', [c.input(0)], { perm: last });
    const scale = c.has(1) ? c.input(1) : c.f32(new Float32Array(ch).fill(1), [ch]);
    const y = c.emit('LayerNormalization', [t, scale, ...optional(c, 2)], {
      axis: -1,
      epsilon: f(c.attrs.eps as number),
    });
    c.emit('Transpose', [y], { perm: back }, c.out);
  },
  groupNorm(c) {
    // GroupNormalization needs opset 18 and changed in 21: instance norm over [N, G, rest] instead.
    const g = c.attrs.numGroups as number;
    const shape = c.shape(0);
    const ch = shape[1];
    const grouped = c.emit('Reshape', [c.input(0), c.i64([0, g, -1])]);
    const norm = c.emit(
      'InstanceNormalization',
      [grouped, c.f32(new Float32Array(g).fill(1), [g]), c.f32(new Float32Array(g), [g])],
      { epsilon: f(c.attrs.eps as number) }
    );
    let y = c.emit('Reshape', [norm, c.emit('Shape', [c.input(0)])]);
    const rank = shape.length;
    const hasW = c.has(1);
    const hasB = c.has(2);
    if (hasW)
      y = c.emit('Mul', [y, perChannel(c, c.input(1), ch, rank)], {}, hasB ? undefined : c.out);
    if (hasB) y = c.emit('Add', [y, perChannel(c, c.input(2), ch, rank)], {}, c.out);
    if (!hasW && !hasB) c.emit('Identity', [y], {}, c.out);
  },
  relu: unary('Relu'),
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  hardswish: unary('HardSwish'),
  neg: unary('Neg'),
  exp: unary('Exp'),
  log: unary('Log'),
  sqrt: unary('Sqrt'),
  abs: unary('Abs'),
  rsqrt(c) {
    c.emit('Reciprocal', [c.emit('Sqrt', [c.input(0)])], {}, c.out);
  },
  gelu(c) {
    // Gelu is an op from opset 20 only: 0.5 x (1 + erf(x / sqrt 2)), as torch.onnx writes it.
    const x = c.input(0);
    const e = c.emit('Erf', [c.emit('Div', [x, c.f32([Math.SQRT2], [])])]);
    const y = c.emit('Mul', [x, c.emit('Add', [e, c.f32([1], [])])]);
    c.emit('Mul', [y, c.f32([0.5], [])], {}, c.out);
  },
  silu(c) {
    c.emit('Mul', [c.input(0), c.emit('Sigmoid', [c.input(0)])], {}, c.out);
  },
  leakyRelu(c) {
    c.emit('LeakyRelu', [c.input(0)], { alpha: f(c.attrs.p0 as number) }, c.out);
  },
  hardtanh(c) {
    const [lo, hi] = [c.attrs.p0 as number, c.attrs.p1 as number];
    c.emit('Clip', [c.input(0), c.f32([lo], []), c.f32([hi], [])], {}, c.out);
  },
  relu6(c) {
    c.emit('Clip', [c.input(0), c.f32([0], []), c.f32([6], [])], {}, c.out);
  },
  hardsigmoid(c) {
    c.emit('HardSigmoid', [c.input(0)], { alpha: f(1 / 6), beta: f(0.5) }, c.out);
  },
  softplus(c) {
    // ONNX's Softplus has no beta or threshold; above the threshold they differ by < e^-threshold.
    const beta = c.attrs.p0 as number;
    if (beta === 1) {
      c.emit('Softplus', [c.input(0)], {}, c.out);
      return;
    }
    const b = c.f32([beta], []);
    c.emit('Div', [c.emit('Softplus', [c.emit('Mul', [c.input(0), b])]), b], {}, c.out);
  },
  pow(c) {
    const e = c.node.inputs.length === 1 ? c.f32([c.attrs.p0 as number], []) : c.input(1);
    c.emit('Pow', [c.input(0), e], {}, c.out);
  },
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  maximum: binary('Max'),
  minimum: binary('Min'),
  eq: compare('Equal'),
  ne: compare('Equal', true),
  lt: compare('Less'),
  le: compare('LessOrEqual'),
  gt: compare('Greater'),
  ge: compare('GreaterOrEqual'),
  reshape(c) {
    const same =
      c.shape(0).join() === c.outShape.join() && c.dynamic(0).join() === c.outDynamic.join();
    if (same) c.emit('Identity', [c.input(0)], {}, c.out);
    else c.emit('Reshape', [c.input(0), target(c, c.outShape, c.outDynamic)], {}, c.out);
  },
  permute(c) {
    c.emit('Transpose', [c.input(0)], { perm: c.attrs.perm as number[] }, c.out);
  },
  narrow(c) {
    const { dim, start, length } = c.attrs as { dim: number; start: number; length: number };
    if (c.dynamic(0)[dim]) c.fail(`it slices dim ${dim}, which follows the batch size`);
    c.emit('Slice', [c.input(0), c.i64([start]), c.i64([start + length]), c.i64([dim])], {}, c.out);
  },
  expand(c) {
    const lead = c.outShape.length - c.shape(0).length;
    const to = c.outShape.map((d, i) => {
      if (!c.outDynamic[i]) return d;
      if (i >= lead && c.dynamic(0)[i - lead]) return 1;
      return c.fail(`it expands dim ${i} to the batch size`);
    });
    c.emit('Expand', [c.input(0), c.i64(to)], {}, c.out);
  },
  cat(c) {
    c.emit(
      'Concat',
      c.node.inputs.map((_, i) => c.input(i)),
      { axis: c.attrs.dim as number },
      c.out
    );
  },
  pad(c) {
    const pads = c.attrs.pads as number[];
    const rank = c.shape(0).length;
    const before = new Array<number>(rank).fill(0);
    const after = new Array<number>(rank).fill(0);
    for (let k = 0; k < pads.length / 2; k++) {
      before[rank - 1 - k] = pads[2 * k];
      after[rank - 1 - k] = pads[2 * k + 1];
    }
    c.emit(
      'Pad',
      [c.input(0), c.i64([...before, ...after]), c.f32([c.attrs.value as number], [])],
      { mode: { s: 'constant' } },
      c.out
    );
  },
  softmax(c) {
    c.emit('Softmax', [c.input(0)], { axis: c.attrs.dim as number }, c.out);
  },
  logSoftmax(c) {
    c.emit('LogSoftmax', [c.input(0)], { axis: c.attrs.dim as number }, c.out);
  },
  sum: reduction('ReduceSum'),
  mean: reduction('ReduceMean'),
  amax: reduction('ReduceMax'),
  amin: reduction('ReduceMin'),
  max: reduction('ReduceMax'),
  min: reduction('ReduceMin'),
  argmax: argExtreme('ArgMax'),
  argmin: argExtreme('ArgMin'),
  'interpolate(nearest)': resize,
  'interpolate(bilinear)': resize,
  embedding(c) {
    const idx = c.attrs.indices;
    let indices: string;
    if (idx instanceof Int32Array || Array.isArray(idx)) {
      indices = c.i64(idx as ArrayLike<number>, [idx.length]);
    } else {
      indices = c.emit('Cast', [c.ref(idx)], { to: INT64 });
    }
    c.emit('Gather', [c.input(0), indices], { axis: 0 }, c.out);
  },
  dropout(c) {
    c.fail(
      'dropout in training mode has no ONNX mapping (export runs modules in eval mode; a ' +
        'forward that calls F.dropout(x, p, true) itself trains)'
    );
  },
  dropout2d(c) {
    c.fail('dropout2d in training mode has no ONNX mapping');
  },
};
