// sgd_step / adam_step against test/ref/optim.ts (sgd_step_ref, adam_step_ref) over several steps
// with fresh gradients each step: momentum, dampening, Nesterov, weight decay, Adam and AdamW.
import { suite } from 'uvu';
import {
  adamStep,
  sgdStep,
  type AdamStepArgs,
  type SgdStepArgs,
} from '../../src/runtime/kernels/optim.js';
import { adam_step_ref, sgd_step_ref } from '../ref/optim.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('optim');
const rts = await builds();
const STEPS = 5;
const sizes = [1, 3, 5, 17, 33, 65];

type SgdOpts = Omit<SgdStepArgs, 'param' | 'grad' | 'momentumBuf' | 'firstStep' | 'n'>;
const sgdConfigs: SgdOpts[] = [
  { lr: 0.1 },
  { lr: 0.1, weightDecay: 1e-2 },
  { lr: 0.1, momentum: 0.9 },
  { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2 },
  { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
];

type AdamOpts = Omit<AdamStepArgs, 'param' | 'grad' | 'm' | 'v' | 'step' | 'n'>;
const adamConfigs: AdamOpts[] = [
  { lr: 1e-2 },
  { lr: 1e-2, weightDecay: 1e-2 },
  { lr: 1e-2, weightDecay: 1e-2, decoupled: true },
  { lr: 3e-2, betas: [0.5, 0.9], eps: 1e-6, weightDecay: 0.1, decoupled: true },
  { lr: 1e-2, betas: [0, 0.99] },
];

const label = (o: object): string =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

for (const rt of rts) {
  for (const n of sizes) {
    for (const cfg of sgdConfigs) {
      const name = `sgd_step n=${n} ${label(cfg)} [${rt.build}]`;
      t(name, () => {
        const P0 = rand(n, n + 1);
        const param = put(rt, P0),
          grad = rt.heap.allocF32(n),
          buf = rt.heap.allocF32(n);
        rt.heap.view(buf).fill(NaN); // the first step must not read it
        const refP = Float64Array.from(P0);
        let refBuf: Float64Array | null = null;
        for (let s = 0; s < STEPS; s++) {
          const G = rand(n, 1000 * s + n);
          rt.heap.view(grad).set(G);
          sgdStep(rt, { ...cfg, param, grad, momentumBuf: buf, firstStep: s === 0 });
          refBuf = sgd_step_ref(refP, G, refBuf, {
            lr: cfg.lr,
            momentum: cfg.momentum ?? 0,
            dampening: cfg.dampening ?? 0,
            weightDecay: cfg.weightDecay ?? 0,
            nesterov: cfg.nesterov ?? false,
          });
          expectClose(get(rt, param), refP, `${name} step ${s + 1} param`);
          if (refBuf) expectClose(get(rt, buf), refBuf, `${name} step ${s + 1} momentum buffer`);
        }
        freeAll(rt, param, grad, buf);
      });
    }
    for (const cfg of adamConfigs) {
      const name = `adam_step n=${n} ${label(cfg)} [${rt.build}]`;
      t(name, () => {
        const P0 = rand(n, n + 2);
        const param = put(rt, P0),
          grad = rt.heap.allocF32(n);
        const m = put(rt, new Float32Array(n)),
          v = put(rt, new Float32Array(n));
        const refP = Float64Array.from(P0),
          refM = new Float64Array(n),
          refV = new Float64Array(n);
        const [beta1, beta2] = cfg.betas ?? [0.9, 0.999];
        const o = {
          lr: cfg.lr ?? 1e-3,
          beta1,
          beta2,
          eps: cfg.eps ?? 1e-8,
          weightDecay: cfg.weightDecay ?? 0,
          decoupled: cfg.decoupled ?? false,
        };
        for (let s = 1; s <= STEPS; s++) {
          const G = rand(n, 2000 * s + n);
          rt.heap.view(grad).set(G);
          adamStep(rt, { ...cfg, param, grad, m, v, step: s });
          adam_step_ref(refP, G, refM, refV, s, o);
          expectClose(get(rt, param), refP, `${name} step ${s} param`);
          expectClose(get(rt, m), refM, `${name} step ${s} m`);
          expectClose(get(rt, v), refV, `${name} step ${s} v`);
        }
        freeAll(rt, param, grad, m, v);
      });
    }
  }
}

t('optimizer steps reject bad arguments, naming them', () => {
  const rt = rts[0];
  const param = put(rt, rand(8, 1)),
    grad = put(rt, rand(8, 2)),
    short = put(rt, rand(5, 3));
  const m = put(rt, new Float32Array(8)),
    v = put(rt, new Float32Array(8));
  expectThrows(
    () => sgdStep(rt, { param, grad, lr: -0.1, firstStep: true }),
    ['SGD', 'lr', '>= 0', '-0.1'],
    'negative lr'
  );
  expectThrows(
    () => sgdStep(rt, { param, grad: short, lr: 0.1, firstStep: true }),
    ['SGD', 'grad holds 5', 'needs 8'],
    'grad too small'
  );
  expectThrows(
    () => sgdStep(rt, { param, grad, lr: 0.1, momentum: 0.9, firstStep: true }),
    ['SGD', 'momentumBuf'],
    'no momentum buffer'
  );
  const withShort = { param, grad, lr: 0.1, momentum: 0.9, momentumBuf: short, firstStep: true };
  expectThrows(
    () => sgdStep(rt, withShort),
    ['SGD', 'momentumBuf holds 5'],
    'momentum buffer too small'
  );
  expectThrows(
    () => sgdStep(rt, { param, grad, lr: 0.1, nesterov: true, firstStep: true }),
    ['SGD', 'nesterov', 'momentum'],
    'nesterov without momentum'
  );
  expectThrows(
    () => sgdStep(rt, { param, grad, lr: 0.1, weightDecay: -1, firstStep: true }),
    ['SGD', 'weightDecay'],
    'negative weight decay'
  );
  expectThrows(
    () => sgdStep(rt, { param, grad, lr: 0.1, n: 9, firstStep: true }),
    ['SGD', 'param holds 8', 'needs 9'],
    'n > length'
  );
  expectThrows(
    () => adamStep(rt, { param, grad, m, v, step: 0 }),
    ['Adam', 'step', '>= 1'],
    'step 0'
  );
  expectThrows(
    () => adamStep(rt, { param, grad, m, v, step: 1, betas: [0.9, 1] }),
    ['Adam', 'betas[1]', '[0, 1)'],
    'beta2 = 1'
  );
  expectThrows(
    () => adamStep(rt, { param, grad, m, v, step: 1, eps: NaN }),
    ['Adam', 'eps'],
    'eps NaN'
  );
  expectThrows(
    () => adamStep(rt, { param, grad, m: short, v, step: 1, decoupled: true }),
    ['AdamW', 'm holds 5', 'needs 8'],
    'm too small'
  );
  expectThrows(
    () => adamStep(rt, { param, grad, m, v: short, step: 1 }),
    ['Adam', 'v holds 5'],
    'v too small'
  );
  freeAll(rt, param, grad, short, m, v);
});

t.run();
