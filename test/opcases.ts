// Runs the cases of a fixture written by scripts/fixtures/opcases.py: the function of the same
// name on the same inputs; outputs compared, then the gradients of sum(w * out) with PyTorch's.

import { F, tensor, type Tensor } from '../src/index.js';
import { loadFixture, type FixtureTensor } from './fixture.js';
import { expectClose } from './util.js';

interface OpCase {
  name: string;
  inputs: FixtureTensor[];
  outs: FixtureTensor[];
  weights: (FixtureTensor | null)[];
  grads: (FixtureTensor | null)[];
}

export type CaseFn = (...xs: Tensor[]) => Tensor | Tensor[] | { values: Tensor; indices: Tensor };

function outList(r: ReturnType<CaseFn>): Tensor[] {
  if (Array.isArray(r)) return r;
  if ('values' in r && 'indices' in r) return [r.values, r.indices];
  return [r as Tensor];
}

function sameShape(got: readonly number[], want: readonly number[], label: string): void {
  if (got.join() !== want.join()) throw new Error(`${label}: shape [${got}] != PyTorch [${want}]`);
}

/** Registers one test per fixture case; a case without a function in table fails. */
export function addFixtureCases(
  test: (name: string, fn: () => void) => void,
  fixture: string,
  table: Record<string, CaseFn>,
  rtol = 1e-5
): void {
  const cases = loadFixture<OpCase>(fixture);
  for (const c of cases) {
    test(`${c.name} vs PyTorch`, () => {
      const fn = table[c.name];
      if (!fn) throw new Error(`no function for fixture case "${c.name}"`);
      const xs = c.inputs.map((t) => tensor(t.data, t.shape, { requiresGrad: true }));
      const outs = outList(fn(...xs));
      if (outs.length !== c.outs.length) {
        throw new Error(`${c.name}: ${outs.length} outputs, PyTorch has ${c.outs.length}`);
      }
      let loss: Tensor | null = null;
      outs.forEach((o, i) => {
        sameShape(o.shape, c.outs[i].shape, `${c.name} out ${i}`);
        expectClose(o.toFloat32Array(), c.outs[i].data, `${c.name} out ${i}`, rtol);
        const w = c.weights[i];
        if (!w) return;
        const term = F.sum(F.mul(o, tensor(w.data, w.shape)));
        loss = loss ? F.add(loss, term) : term;
      });
      if (loss) (loss as Tensor).backward();
      xs.forEach((x, i) => {
        const g = c.grads[i];
        if (!g) return;
        if (!x.grad) throw new Error(`${c.name}: input ${i} got no gradient`);
        sameShape(x.grad.shape, g.shape, `${c.name} grad ${i}`);
        expectClose(x.grad.toFloat32Array(), g.data, `${c.name} grad ${i}`, rtol * 10);
      });
    });
  }
}
