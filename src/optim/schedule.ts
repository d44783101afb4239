// Learning-rate schedules as functions of training progress, applied by the Trainer before
// every step: exponential decay per epoch (ExponentialLR), cosine annealing to zero
// (CosineAnnealingLR over the whole run), and one-cycle (OneCycleLR: linear warm-up to the
// peak over the first 20% of steps from peak/25, then cosine down to peak/1e4).

export type ScheduleName = 'constant' | 'exp' | 'cosine' | 'onecycle';

export const SCHEDULES: readonly ScheduleName[] = ['constant', 'exp', 'cosine', 'onecycle'];

export interface Schedule {
  name: ScheduleName;
  /** Base (exp, cosine, constant) or peak (onecycle) learning rate. */
  lr: number;
  /** exp: multiplier per epoch. */
  gamma?: number;
}

/**
 * The learning rate at step (0-based) of totalSteps, with stepsPerEpoch steps in an epoch.
 */
export function lrAt(s: Schedule, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const t = totalSteps > 1 ? Math.min(1, step / (totalSteps - 1)) : 1;
  switch (s.name) {
    case 'constant':
      return s.lr;
    case 'exp':
      return s.lr * (s.gamma ?? 1) ** Math.floor(step / stepsPerEpoch);
    case 'cosine':
      return 0.5 * s.lr * (1 + Math.cos(Math.PI * t));
    case 'onecycle': {
      const warm = 0.2;
      const start = s.lr / 25;
      const end = s.lr / 1e4;
      if (t < warm) return start + (s.lr - start) * (t / warm);
      const u = (t - warm) / (1 - warm);
      return end + 0.5 * (s.lr - end) * (1 + Math.cos(Math.PI * u));
    }
    default:
      throw new RangeError(
        `lr schedule must be one of ${SCHEDULES.join(', ')}, got '${String(s.name)}'`
      );
  }
}
