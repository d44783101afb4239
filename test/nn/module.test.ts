// nn.Module registration: fields, ModuleList, ModuleDict, Parameter, buffers, empty slots and
// shared weights give PyTorch's state-dict keys and parameter names (test/fixtures/module_keys
// from scripts/fixtures/module_keys.py); loadStateDict strict and non-strict; several inputs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { F, init, nn, ones, tensor, zeros, type Tensor } from '../../src/index.js';
import { loadFixture } from '../fixture.js';

const t = suite('module');
await init();

class Block extends nn.Module {
  conv1 = new nn.Conv2d(4, 4, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(4);
  scale = new nn.Parameter(ones([1]));

  constructor() {
    super();
    this.registerBuffer('steps', zeros([1]));
  }

  forward(x: Tensor): Tensor {
    return this.bn1.forward(this.conv1.forward(x));
  }
}

class Net extends nn.Module {
  stem: nn.Conv2d;
  layer1: nn.Sequential;
  heads: nn.ModuleList;
  extra: nn.ModuleDict;
  gate: nn.Module | null;
  fc: nn.Linear;
  fcTied: nn.Linear;

  constructor() {
    super();
    this.stem = new nn.Conv2d(1, 4, 3);
    this.layer1 = new nn.Sequential(new Block(), new Block());
    this.heads = new nn.ModuleList([new nn.Linear(4, 2), new nn.Identity(), new nn.Linear(4, 3)]);
    this.extra = new nn.ModuleDict({ b: new nn.Linear(2, 2), a: new nn.BatchNorm2d(4) });
    this.gate = null;
    this.fc = new nn.Linear(4, 4);
    this.fcTied = new nn.Linear(4, 4, { bias: false });
    this.registerModule('fc_tied', this.fcTied);
    this.fcTied.registerParameter('weight', this.fc.weight);
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

interface KeysCase {
  name: string;
  stateDict: string[];
  parameters: string[];
  modules: string[];
}
const [ref] = loadFixture<KeysCase>('module_keys');

t("fields, ModuleList, ModuleDict, Parameter, buffers and tied weights give PyTorch's keys", () => {
  const net = new Net();
  assert.equal(Object.keys(net.stateDict()), ref.stateDict);
  assert.equal(
    net.namedParameters().map(([n]) => n),
    ref.parameters
  );
  assert.equal(
    net.namedModules().map(([n]) => n),
    ref.modules.map((n) => n)
  );
  assert.is(net.parameters().filter((p) => p === net.fc.weight).length, 1);
});

t('re-assigning a field replaces the module in place; null empties the slot', () => {
  const net = new Net();
  const before = Object.keys(net.stateDict());
  net.stem = new nn.Conv2d(1, 4, 3, { bias: false });
  const after = Object.keys(net.stateDict());
  assert.equal(
    after,
    before.filter((k) => k !== 'stem.bias')
  );
  assert.is(after[0], 'stem.weight');
  (net as { fc: nn.Linear | null }).fc = null;
  assert.not.ok(Object.keys(net.stateDict()).includes('fc.bias'));
});

t('loadStateDict: strict lists missing and unexpected keys; non-strict returns them', () => {
  const a = new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU(), new nn.Linear(2, 1));
  const sd = a.stateDict();
  const b = new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU(), new nn.Linear(2, 5));
  assert.throws(
    () => b.loadStateDict({ ...sd, extra: { shape: [1], data: [1] } }),
    /unexpected keys \[extra\]/
  );
  const partial = { '0.weight': sd['0.weight'], '0.bias': sd['0.bias'], 'x.y': sd['0.bias'] };
  const r = b.loadStateDict(partial, { strict: false });
  assert.equal(r.missingKeys, ['2.weight', '2.bias']);
  assert.equal(r.unexpectedKeys, ['x.y']);
  assert.equal([...b.stateDict()['0.weight'].data], [...sd['0.weight'].data]);
});

t('loadStateDict refuses a wrong value count or shape, naming the key, and writes nothing', () => {
  const m = new nn.Linear(3, 2);
  const before = [...m.weight.data()];
  const sd = m.stateDict();
  assert.throws(
    () =>
      m.loadStateDict({
        weight: { shape: [2, 3], data: [1, 2, 3] },
        bias: { shape: [2], data: [0, 0] },
      }),
    /weight has 3 values, its shape \[2,3\] needs 6/
  );
  assert.throws(
    () => m.loadStateDict({ weight: { shape: [3, 2], data: sd.weight.data }, bias: sd.bias }),
    /weight has shape \[3,2\], the model expects \[2,3\]/
  );
  assert.throws(
    () => m.loadStateDict({ weight: sd.weight, bias: { shape: [2], data: new Float32Array(9) } }),
    /bias has 9 values/
  );
  assert.equal([...m.weight.data()], before);
});

t('forward with several inputs; call() forwards them', () => {
  class Pair extends nn.Module {
    lin = new nn.Linear(2, 2);
    forward(a: Tensor, b: Tensor): Tensor {
      return F.add(this.lin.forward(a), b);
    }
  }
  const m = new Pair();
  const a = tensor([1, 2], [1, 2]);
  const b = tensor([10, 20], [1, 2]);
  const y = m.call(a, b) as Tensor;
  const w = m.lin.weight.data();
  const bias = m.lin.bias!.data();
  assert.ok(Math.abs(y.data()[0] - (w[0] + 2 * w[1] + bias[0] + 10)) < 1e-5);
});

t('train()/eval() reach modules held in fields, lists and dicts; zeroGrad clears gradients', () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  for (const p of net.parameters()) p.grad = zeros(p.shape);
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
});

t('ModuleList and ModuleDict: indexing, iteration, errors', () => {
  const l = new nn.ModuleList([new nn.ReLU()]).append(new nn.Linear(2, 2));
  assert.is(l.length, 2);
  assert.ok(l.at(-1) instanceof nn.Linear);
  assert.is([...l].length, 2);
  assert.throws(() => l.at(2), /index 2 out of range for 2 modules/);
  const d = new nn.ModuleDict({ a: new nn.ReLU() });
  assert.equal(d.keys(), ['a']);
  assert.throws(() => d.get('b'), /no module 'b'; keys: a/);
  assert.ok(ones([2]) instanceof nn.Parameter === false);
  assert.ok(new nn.Parameter(ones([2])) instanceof nn.Parameter);
});

t("BatchNorm1d has PyTorch's state (num_batches_tracked included, counted in train mode)", () => {
  const bn = new nn.BatchNorm1d(3);
  assert.equal(Object.keys(bn.stateDict()), [
    'weight',
    'bias',
    'running_mean',
    'running_var',
    'num_batches_tracked',
  ]);
  bn.forward(tensor([1, 2, 3, 4, 5, 7], [2, 3]));
  bn.eval().forward(tensor([1, 2, 3], [1, 3]));
  assert.is(bn.numBatchesTracked!.item(), 1);
});

t.run();
