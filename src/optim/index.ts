// optim: SGD, Adam, AdamW with PyTorch's update rules and defaults, stepping each parameter
// in place through the optimizer kernels (assembly/optim.ts).

import { adamStep, sgdStep } from '../runtime/kernels/optim.js';
import { Tensor, getRuntime } from '../tensor/tensor.js';

function checkParams(name: string, params: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(params) || params.length === 0) {
    throw new RangeError(
      `${name}: params must be a non-empty array of tensors (model.parameters())`
    );
  }
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${name}: params[${i}] is not a Tensor`);
  });
  return [...params];
}

function checkHyper(name: string, key: string, v: number, min = 0): void {
  if (!Number.isFinite(v) || v < min)
    throw new RangeError(`${name}: ${key} must be a finite number >= ${min}, got ${v}`);
}

export abstract class Optimizer {
  readonly params: Tensor[];
  /** Learning rate; schedulers change it between steps. */
  lr: number;

  constructor(name: string, params: readonly Tensor[], lr: number) {
    this.params = checkParams(name, params);
    checkHyper(name, 'lr', lr);
    this.lr = lr;
  }

  /** Drops every gradient (PyTorch's set_to_none default). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Updates every parameter that has a gradient and requires one (frozen ones, requiresGrad
   * false, are left as they are, weight decay included). */
  abstract step(): void;

  /**
   * @internal This step as calls of one kernel that data-parallel workers make on their slices
   * of the parameters right after reducing the gradient (DataParallel.step's update), with the
   * bookkeeping step() would do (step counts), for the parameters that require a gradient; null
   * for an optimizer whose step is not such a kernel (a subclass that overrides step()).
   */
  planStep(): StepPlan | null {
    return null;
  }

  /** The optimizer's buffers, for checkpoints: name -> values. */
  abstract stateDict(): Record<string, Float32Array | number>;
  abstract loadStateDict(sd: Record<string, Float32Array | number>): void;
}

/** An optimizer step as kernel calls: kernel(param, grad, ...state, n, ...scalars) for each
 * parameter it updates (param and state: byte offsets). Each call is element-wise, so any slice
 * cut at 16-value boundaries gives the bits the whole would. */
export interface StepPlan {
  kernel: 'adam_step' | 'sgd_step';
  params: { param: number; state: number[]; scalars: number[] }[];
}

function stateBuffer(p: Tensor): Tensor {
  const t = Tensor.empty(p.shape).keep();
  t.rawData().fill(0);
  return t;
}

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buffers: (Tensor | null)[];
  private readonly started: boolean[];

  constructor(params: readonly Tensor[], opts: SGDOptions = {}) {
    super('optim.SGD', params, opts.lr ?? 1e-3);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkHyper('optim.SGD', 'momentum', this.momentum);
    checkHyper('optim.SGD', 'weightDecay', this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('optim.SGD: nesterov momentum requires a momentum and zero dampening');
    }
    this.buffers = this.params.map((p) => (this.momentum !== 0 ? stateBuffer(p) : null));
    this.started = this.params.map(() => false);
  }

  step(): void {
    const rt = getRuntime();
    this.params.forEach((p, i) => {
      if (!p.grad || !p.requiresGrad) return;
      sgdStep(rt, {
        param: p.buf,
        grad: p.grad.buf,
        momentumBuf: this.buffers[i]?.buf ?? null,
        n: p.size,
        lr: this.lr,
        momentum: this.momentum,
        dampening: this.dampening,
        weightDecay: this.weightDecay,
        nesterov: this.nesterov,
        firstStep: !this.started[i],
      });
      this.started[i] = true;
    });
  }

  override planStep(): StepPlan | null {
    if (this.step !== SGD.prototype.step) return null;
    return {
      kernel: 'sgd_step',
      params: this.params.flatMap((p, i) => {
        if (!p.requiresGrad) return [];
        const first = !this.started[i];
        this.started[i] = true;
        return {
          param: p.buf.ptr,
          state: [this.momentum !== 0 ? this.buffers[i]!.buf.ptr : 0],
          scalars: [
            this.lr,
            this.momentum,
            this.dampening,
            this.weightDecay,
            this.nesterov ? 1 : 0,
            first ? 1 : 0,
          ],
        };
      }),
    };
  }

  stateDict(): Record<string, Float32Array | number> {
    const sd: Record<string, Float32Array | number> = { lr: this.lr };
    this.buffers.forEach((b, i) => {
      if (b && this.started[i]) sd[`${i}.momentum_buffer`] = b.toFloat32Array();
    });
    return sd;
  }

  loadStateDict(sd: Record<string, Float32Array | number>): void {
    if (typeof sd.lr === 'number') this.lr = sd.lr;
    this.buffers.forEach((b, i) => {
      const v = sd[`${i}.momentum_buffer`];
      if (b && v instanceof Float32Array) {
        b.rawData().set(v);
        this.started[i] = true;
      }
    });
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  private readonly steps: number[];

  constructor(
    params: readonly Tensor[],
    opts: AdamOptions = {},
    defaultWeightDecay = 0,
    name = 'optim.Adam'
  ) {
    super(name, params, opts.lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultWeightDecay;
    for (const [k, b] of [
      ['betas[0]', this.betas[0]],
      ['betas[1]', this.betas[1]],
    ] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`${name}: ${k} must be in [0, 1), got ${b}`);
    }
    checkHyper(name, 'eps', this.eps);
    checkHyper(name, 'weightDecay', this.weightDecay);
    this.m = this.params.map(stateBuffer);
    this.v = this.params.map(stateBuffer);
    this.steps = this.params.map(() => 0);
  }

  step(): void {
    const rt = getRuntime();
    this.params.forEach((p, i) => {
      if (!p.grad || !p.requiresGrad) return;
      this.steps[i]++;
      adamStep(rt, {
        param: p.buf,
        grad: p.grad.buf,
        m: this.m[i].buf,
        v: this.v[i].buf,
        n: p.size,
        lr: this.lr,
        betas: this.betas,
        eps: this.eps,
        weightDecay: this.weightDecay,
        step: this.steps[i],
        decoupled: this.decoupled,
      });
    });
  }

  override planStep(): StepPlan | null {
    if (this.step !== Adam.prototype.step) return null;
    return {
      kernel: 'adam_step',
      params: this.params.flatMap((p, i) => {
        if (!p.requiresGrad) return [];
        this.steps[i]++;
        return {
          param: p.buf.ptr,
          state: [this.m[i].buf.ptr, this.v[i].buf.ptr],
          scalars: [
            this.lr,
            this.betas[0],
            this.betas[1],
            this.eps,
            this.weightDecay,
            this.steps[i],
            this.decoupled ? 1 : 0,
          ],
        };
      }),
    };
  }

  stateDict(): Record<string, Float32Array | number> {
    const sd: Record<string, Float32Array | number> = { lr: this.lr };
    this.params.forEach((_, i) => {
      sd[`${i}.step`] = this.steps[i];
      sd[`${i}.exp_avg`] = this.m[i].toFloat32Array();
      sd[`${i}.exp_avg_sq`] = this.v[i].toFloat32Array();
    });
    return sd;
  }

  loadStateDict(sd: Record<string, Float32Array | number>): void {
    if (typeof sd.lr === 'number') this.lr = sd.lr;
    this.params.forEach((_, i) => {
      const s = sd[`${i}.step`];
      const m = sd[`${i}.exp_avg`];
      const v = sd[`${i}.exp_avg_sq`];
      if (typeof s === 'number') this.steps[i] = s;
      if (m instanceof Float32Array) this.m[i].rawData().set(m);
      if (v instanceof Float32Array) this.v[i].rawData().set(v);
    });
  }
}

/** Adam with decoupled weight decay (PyTorch's AdamW; weightDecay defaults to 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super(params, opts, 0.01, 'optim.AdamW');
  }
}

/**
 * Scales every gradient so their global L2 norm is at most maxNorm (torch.nn.utils.
 * clip_grad_norm_); returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  let sq = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.rawData();
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  const norm = Math.sqrt(sq);
  const k = maxNorm / (norm + 1e-6);
  if (k < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad.rawData();
      for (let i = 0; i < g.length; i++) g[i] *= k;
    }
  }
  return norm;
}
