// Memory that manages itself: backward() frees a graph's intermediates, unreachable tensors are
// collected (synchronously in Node), loops without tidy stay flat, tidy frees on throw, data()
// views never alias another tensor, backward twice is refused, nested-array tensors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  F,
  Tensor,
  collectGarbage,
  createModel,
  init,
  loadModel,
  manualSeed,
  memory,
  nn,
  optim,
  predict,
  randn,
  serializeSafetensors,
  tensor,
  tidy,
} from '../../src/index.js';
import { setCollectSlack } from '../../src/tensor/tensor.js';

const t = suite('memory');
await init();

function smallNet(): nn.Sequential {
  manualSeed(3);
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Dropout(0.25),
    new nn.Flatten(),
    new nn.Linear(4 * 5 * 5, 10)
  );
}

function batch(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  manualSeed(seed);
  const x = randn([n, 1, 12, 12]);
  const data = x.toFloat32Array();
  x.dispose();
  return { x: data, y: Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10) };
}

/** The README's loop, no tidy, no dispose: memory must stop growing after warm-up. */
function trainLoop(steps: number, onStep: (i: number) => void): void {
  const model = smallNet();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const { x: images, y: labels } = batch(16, 1);
  for (let i = 0; i < steps; i++) {
    const x = tensor(images, [16, 1, 12, 12]);
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), labels);
    loss.backward();
    opt.step();
    onStep(i);
  }
}

t('a training loop with no tidy runs flat: reserved memory stops growing after warm-up', () => {
  collectGarbage();
  setCollectSlack(1 << 20);
  let atWarm = 0;
  let tensorsAtWarm = 0;
  trainLoop(1500, (i) => {
    if (i === 300) {
      atWarm = memory().heapHighWaterBytes;
      tensorsAtWarm = memory().numTensors;
    }
  });
  const end = memory();
  setCollectSlack(64 << 20);
  assert.ok(
    end.heapHighWaterBytes <= atWarm * 1.05,
    `high water ${end.heapHighWaterBytes} > ${atWarm} at warm-up`
  );
  collectGarbage();
  assert.ok(
    memory().numTensors <= tensorsAtWarm + 4,
    `${memory().numTensors} tensors live, ${tensorsAtWarm} at warm-up`
  );
});

t(
  'backward frees the intermediates inside modules at once, keeps the model output and loss',
  () => {
    const model = smallNet();
    const { x: images, y: labels } = batch(4, 2);
    collectGarbage();
    const before = memory().numTensors;
    const x = tensor(images, [4, 1, 12, 12]);
    const out = model.forward(x);
    const loss = F.crossEntropy(out, labels);
    const during = memory().numTensors;
    loss.backward();
    const after = memory().numTensors;
    // x, out, loss and one gradient per parameter remain.
    assert.is(after, before + 3 + model.parameters().length);
    assert.ok(during > after, `${during} tensors during the forward, ${after} after backward`);
    assert.is(out.data().length, 40);
    assert.ok(Number.isFinite(loss.item()));
    model.zeroGrad();
  }
);

t('an intermediate freed by backward says so; keep() and retainGrad() spare one', () => {
  class Net extends nn.Module {
    fc1 = new nn.Linear(3, 4);
    fc2 = new nn.Linear(4, 2);
    hidden: Tensor | null = null;
    kept: Tensor | null = null;
    forward(x: Tensor): Tensor {
      this.hidden = F.relu(this.fc1.forward(x));
      this.kept = F.relu(this.fc1.forward(x)).retainGrad();
      return this.fc2.forward(F.add(this.hidden, this.kept));
    }
  }
  const net = new Net();
  const y = net.forward(tensor([1, 2, 3, 4, 5, 6], [2, 3]));
  y.sum().backward();
  assert.throws(
    () => net.hidden!.data(),
    /intermediate of a module's forward that backward\(\) freed; call \.keep\(\)/
  );
  assert.equal(net.kept!.shape, [2, 4]);
  assert.ok(net.kept!.grad !== null);
  assert.is(y.data().length, 4);
});

t('backward twice on one graph throws unless retainGraph; retainGraph accumulates', () => {
  const w = tensor([1, 2, 3], [3], { requiresGrad: true });
  const y = F.mul(w, w).sum();
  y.backward({ retainGraph: true });
  y.backward();
  assert.equal([...w.grad!.data()], [4, 8, 12]);
  assert.throws(
    () => y.backward(),
    /already freed by an earlier backward\(\); pass \{ retainGraph: true \}/
  );
});

t('eval-mode forward without noGrad in a loop stays flat (abandoned graphs are collected)', () => {
  collectGarbage();
  setCollectSlack(1 << 20);
  const model = smallNet().eval();
  const { x: images } = batch(8, 3);
  let atWarm = 0;
  for (let i = 0; i < 1500; i++) {
    const out = model.forward(tensor(images, [8, 1, 12, 12]));
    if (out.size !== 80) throw new Error('shape');
    if (i === 300) atWarm = memory().heapHighWaterBytes;
  }
  setCollectSlack(64 << 20);
  const end = memory().heapHighWaterBytes;
  assert.ok(end <= atWarm * 1.05, `high water ${end} > ${atWarm} at warm-up`);
});

t('tidy frees what fn made when fn throws', () => {
  collectGarbage();
  const before = memory().numTensors;
  for (let i = 0; i < 20; i++) {
    assert.throws(
      () =>
        tidy(() => {
          const a = randn([64, 64]);
          F.relu(a);
          F.crossEntropy(tensor(new Float32Array(20), [2, 10]), [0, 99]);
        }),
      /99/
    );
  }
  assert.is(memory().numTensors, before);
});

t('a data() view kept after dispose() never aliases a tensor allocated later', () => {
  const a = tensor(new Float32Array(1000).fill(7));
  const view = a.data();
  a.dispose();
  const b = tensor(new Float32Array(1000).fill(1));
  b.data().fill(3);
  assert.ok(view.every((v) => v === 7));
  b.dispose();
});

t('tensor() takes nested arrays (shape inferred) and refuses ragged arrays and non-numbers', () => {
  const m = tensor([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.equal(m.shape, [3, 2]);
  assert.equal([...m.data()], [1, 2, 3, 4, 5, 6]);
  assert.equal(tensor(5).shape, []);
  assert.equal(m.tolist(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.throws(
    () => tensor([[1, 2], [3]]),
    /ragged nested array: data\[1\] has 1 entries where 2 were expected/
  );
  assert.throws(
    () => tensor(['a', 'b'] as unknown as number[], [2]),
    /data\[0\] must be a number, got 'a'/
  );
  assert.throws(
    () => tensor([[1, 'x']] as unknown as number[][]),
    /data\[0\]\[1\] must be a number/
  );
});

t('running out of Wasm memory throws a RangeError, and the library keeps working', () => {
  assert.throws(
    () => Tensor.empty([1100, 1024, 1024]),
    (e: Error) =>
      e instanceof RangeError &&
      /out of Wasm memory allocating a tensor \[1100,1024,1024\] \(4613734400 bytes\); .* live in \d+ blocks/.test(
        e.message
      )
  );
  const y = F.relu(tensor([-1, 2]));
  assert.equal([...y.data()], [0, 2]);
});

t('predict and loadModel called 1,000 times stay flat (dropped models are collected)', async () => {
  collectGarbage();
  setCollectSlack(2 << 20);
  manualSeed(5);
  const source = createModel('lenet5');
  const bytes = serializeSafetensors(source.stateDict(), { model: 'lenet5' });
  const images = new Float32Array(784 * 700).fill(0.5);
  let atWarm = 0;
  for (let i = 0; i < 1000; i++) {
    const model = await loadModel(bytes);
    const n = 1 + ((i * 37) % 700);
    const p = predict(model, images.subarray(0, n * 784));
    if (p.length !== n * 10) throw new Error(`predict gave ${p.length} values for ${n} images`);
    if (i === 200) atWarm = memory().heapHighWaterBytes;
  }
  setCollectSlack(64 << 20);
  const end = memory().heapHighWaterBytes;
  assert.ok(end <= atWarm * 1.05, `high water ${end} > ${atWarm} at call 200`);
  source.dispose();
});

t.run();
