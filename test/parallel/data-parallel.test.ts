// Data-parallel training against one thread: the minibatch gradient with 1, 2 and 3 workers
// (dropout included), more shards than workers (the same bits whichever worker took which), the
// optimizer's step made by the workers (optimizer.step()'s bits), ten Adam steps with 2 workers,
// a failing or dying worker (faults from faulty-pool.ts; an error naming the shard, no hang, a
// working pool afterwards), and stop + resume from a checkpoint. The
// shared memory: repeatable reductions, workers' memory reused across steps and given back at
// close, slices of the reduction covering every value once, a private memory refused; a step's
// timing (lastStep) has one entry per shard.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MNIST_MEAN, MNIST_STD, normalize } from '../../src/data/dataset.js';
import { mnist } from '../../src/data/mnist.js';
import { init, manualSeed, noGrad, optim, tensor, type Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/zoo.js';
import { DataParallel } from '../../src/parallel/data-parallel.js';
import { PiscinaPool } from '../../src/parallel/piscina-pool.js';
import type { WorkerInit, WorkerPool } from '../../src/parallel/pool.js';
import { reducePart, stepSeed } from '../../src/parallel/shared.js';
import { createRuntime } from '../../src/runtime/load.js';
import { getRuntime, setRuntime } from '../../src/tensor/tensor.js';
import { evaluate, evaluateParallel, Trainer } from '../../src/train/trainer.js';
import { FaultInjector } from './faulty-pool.js';

const t = suite('data-parallel');
await init();
const data = await mnist({ split: 'train', limit: 256 });
normalize(data.images, MNIST_MEAN, MNIST_STD, data.images);
const quiet = { write: (): boolean => true, isTTY: false };
const head = (n: number): typeof data => ({
  ...data,
  n,
  images: data.images.subarray(0, n * 784),
  labels: data.labels.subarray(0, n),
  shape: [n, 1, 28, 28],
});

/** Largest |a - b| over a parameter, relative to the largest |b| of that parameter. */
function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    let scale = 1e-12;
    for (const v of b[i]) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]) / scale);
  });
  return worst;
}

const grads = (ps: Tensor[]): Float32Array[] => ps.map((p) => p.grad!.toFloat32Array());
const values = (ps: Tensor[]): Float32Array[] => ps.map((p) => p.toFloat32Array());

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: hung for ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A seeded small CNN, the seed of step `step` and one thread's loss, accuracy and gradient on
 * the test batch of 50 (SGD at lr 0, so the parameters stay as they are). */
function oneThreadStep(step: number) {
  manualSeed(1);
  const model = createModel('small-cnn');
  const opt = new optim.SGD(model.parameters(), { lr: 0 });
  const trainer = new Trainer({
    model,
    optimizer: opt,
    train: data,
    epochs: 1,
    batchSize: 50,
    workers: 1,
    out: quiet,
  });
  const seed = stepSeed(1, 0, step);
  const ref = trainer.step(data.images, data.labels, 50, 'ref', seed);
  return { model, seed, ref, refGrads: grads(model.parameters()) };
}

t(
  'small-cnn minibatch gradient with 1, 2, 3 workers equals one thread (relative 1e-5)',
  async () => {
    const { model, seed, ref, refGrads } = oneThreadStep(0);
    for (const workers of [1, 2, 3]) {
      const dp = new DataParallel({
        model,
        modelName: 'small-cnn',
        workers,
        maxBatch: 50,
        sampleShape: [1, 28, 28],
      });
      try {
        const r = await dp.step(data.images, data.labels, 50, seed, 'test');
        const d = maxRelDiff(grads(model.parameters()), refGrads);
        assert.ok(
          d <= 1e-5,
          `workers=${workers}: gradient differs by ${d.toExponential(2)} (relative)`
        );
        assert.ok(
          Math.abs(r.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss),
          `workers=${workers}: loss ${r.loss} vs ${ref.loss}`
        );
        assert.is(r.correct, ref.correct);
      } finally {
        await dp.close();
      }
    }
  }
);

t(
  "more shards than workers: one thread's gradient, and the same bits whichever worker took a shard",
  async () => {
    const { model, seed, ref, refGrads } = oneThreadStep(1);
    const bits: Float32Array[][] = [];
    for (const [workers, shards] of [
      [2, 5],
      [3, 5],
      [1, 5],
      [2, 5],
    ]) {
      const dp = new DataParallel({
        model,
        modelName: 'small-cnn',
        workers,
        shards,
        maxBatch: 50,
        sampleShape: [1, 28, 28],
      });
      try {
        const r = await dp.step(data.images, data.labels, 50, seed, 'test');
        const g = grads(model.parameters());
        const d = maxRelDiff(g, refGrads);
        assert.ok(
          d <= 1e-5,
          `workers=${workers} shards=${shards}: gradient differs by ${d.toExponential(2)}`
        );
        assert.ok(
          Math.abs(r.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss),
          `loss ${r.loss} vs ${ref.loss}`
        );
        assert.is(r.correct, ref.correct);
        assert.is(dp.lastStep!.compute.length, Math.min(workers, shards));
        bits.push(g);
      } finally {
        await dp.close();
      }
    }
    for (const g of bits.slice(1))
      assert.is(maxRelDiff(g, bits[0]), 0, 'another worker count, other bits');
  }
);

t(
  'more shards than workers with batch norm: per-shard statistics, the same bits for any worker count',
  async () => {
    const run = async (workers: number): Promise<Float32Array[]> => {
      manualSeed(12);
      const model = createModel('resnet-mini');
      const dp = new DataParallel({
        model,
        modelName: 'resnet-mini',
        workers,
        shards: 4,
        maxBatch: 24,
        sampleShape: [1, 28, 28],
      });
      try {
        await dp.step(data.images, data.labels, 24, 3, 'bn step');
        return [
          ...grads(model.parameters()),
          ...model.namedBuffers().map(([, b]) => b.toFloat32Array()),
        ];
      } finally {
        await dp.close();
      }
    };
    const four = await run(4);
    const two = await run(2);
    assert.is(maxRelDiff(two, four), 0, 'gradients or running statistics differ');
  }
);

t(
  'more shards than workers: a failing shard is named by its rows; shards must be positive',
  async () => {
    manualSeed(4);
    const model = createModel('lenet5');
    const faults = new FaultInjector();
    const dp = new DataParallel({
      model,
      modelName: 'lenet5',
      workers: 2,
      shards: 4,
      maxBatch: 32,
      sampleShape: [1, 28, 28],
      createPool: faults.createPool,
    });
    try {
      faults.arm(1, 'throw'); // the second worker, which begins with the second shard
      let message = '';
      try {
        await withTimeout(dp.step(data.images, data.labels, 32, 1, 'step 9'), 30000, 'faulty step');
      } catch (e) {
        message = (e as Error).message;
      }
      assert.ok(
        /worker for shard 2\/4 \(rows 8\.\.15\) failed at step 9: injected fault/.test(message),
        message
      );
      const r = await withTimeout(
        dp.step(data.images, data.labels, 32, 1, 'next'),
        30000,
        'step after fault'
      );
      assert.ok(Number.isFinite(r.loss));
    } finally {
      await dp.close();
    }
    assert.throws(
      () =>
        new DataParallel({ model, workers: 2, shards: 0, maxBatch: 8, sampleShape: [1, 28, 28] }),
      /shards must be a positive integer/
    );
  }
);

t(
  'the optimizer step made by the workers on their slices gives the bits of optimizer.step()',
  async () => {
    const makers: [string, (ps: Tensor[]) => optim.Optimizer][] = [
      ['Adam', (ps) => new optim.Adam(ps, { lr: 1e-2, weightDecay: 1e-3 })],
      ['AdamW', (ps) => new optim.AdamW(ps, { lr: 1e-2 })],
      ['SGD momentum', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 })],
      ['SGD', (ps) => new optim.SGD(ps, { lr: 0.05 })],
    ];
    for (const [name, make] of makers) {
      const run = async (fused: boolean): Promise<[Float32Array[], Record<string, unknown>]> => {
        manualSeed(21);
        const model = createModel('lenet5');
        model.parameters()[0].requiresGrad = false; // a frozen parameter stays as it was
        const opt = make(model.parameters());
        const dp = new DataParallel({
          model,
          modelName: 'lenet5',
          workers: 3,
          shards: 4,
          maxBatch: 40,
          sampleShape: [1, 28, 28],
        });
        try {
          for (let i = 0; i < 3; i++) {
            const plan = fused ? opt.planStep() : null;
            assert.ok(!fused || plan, `${name}: no plan`);
            await dp.step(
              data.images.subarray(i * 784),
              data.labels.subarray(i),
              40,
              7 + i,
              `step ${i}`,
              plan ?? undefined
            );
            if (!fused) opt.step();
          }
        } finally {
          await dp.close();
        }
        return [values(model.parameters()), opt.stateDict()];
      };
      const [want, wantState] = await run(false);
      const [got, gotState] = await run(true);
      assert.is(maxRelDiff(got, want), 0, `${name}: parameters differ`);
      assert.equal(gotState, wantState, `${name}: optimizer state differs`);
    }
    class Custom extends optim.SGD {
      override step(): void {
        super.step();
      }
    }
    assert.is(
      new Custom(createModel('lenet5').parameters()).planStep(),
      null,
      'an overridden step() is not planned'
    );
  }
);

t('batch smaller than the worker count and an uneven split', async () => {
  manualSeed(2);
  const model = createModel('lenet5');
  const opt = new optim.SGD(model.parameters(), { lr: 0 });
  const trainer = new Trainer({
    model,
    optimizer: opt,
    train: data,
    epochs: 1,
    batchSize: 64,
    workers: 1,
    out: quiet,
  });
  for (const size of [2, 7]) {
    trainer.step(data.images, data.labels, size, 'ref', 9);
    const refGrads = grads(model.parameters());
    const dp = new DataParallel({
      model,
      modelName: 'lenet5',
      workers: 3,
      maxBatch: 64,
      sampleShape: [1, 28, 28],
    });
    try {
      await dp.step(data.images, data.labels, size, 9, 'test');
      const d = maxRelDiff(grads(model.parameters()), refGrads);
      assert.ok(d <= 1e-5, `size=${size}: gradient differs by ${d.toExponential(2)}`);
      // lastStep: one entry per shard; threads share a clock (a message takes no negative time)
      const st = dp.lastStep!;
      const shards = Math.min(3, size);
      for (const k of ['dispatch', 'compute', 'meet', 'reduce'] as const) {
        assert.is(st[k].length, shards, `lastStep.${k}`);
      }
      for (const v of [
        st.prepare,
        st.collect,
        st.finish,
        ...st.compute,
        ...st.meet,
        ...st.reduce,
        ...st.dispatch,
      ]) {
        assert.ok(Number.isFinite(v) && v >= -0.5, `lastStep ${JSON.stringify(st)}`);
      }
      assert.ok(st.total >= Math.max(...st.compute), `lastStep ${JSON.stringify(st)}`);
    } finally {
      await dp.close();
    }
  }
});

t('evaluation shared by 2 workers equals one thread', async () => {
  manualSeed(11);
  const model = createModel('small-cnn');
  const test = head(100);
  const ref = evaluate(model, test, 32);
  const dp = new DataParallel({
    model,
    modelName: 'small-cnn',
    workers: 2,
    maxBatch: 32,
    sampleShape: [1, 28, 28],
  });
  try {
    const r = await evaluateParallel(dp, test, 32);
    assert.is(r.accuracy, ref.accuracy);
    assert.ok(Math.abs(r.loss - ref.loss) <= 1e-5 * ref.loss, `loss ${r.loss} vs ${ref.loss}`);
  } finally {
    await dp.close();
  }
});

t(
  'batch norm: each shard normalises itself and the running statistics come back averaged',
  async () => {
    manualSeed(12);
    const model = createModel('resnet-mini');
    const init0 = model.namedBuffers().map(([, b]) => b.toFloat32Array());
    // one thread, each half of the batch on its own, from the same starting statistics
    const perShard: Float32Array[][] = [];
    for (const [start, count] of [
      [0, 16],
      [16, 16],
    ]) {
      model.namedBuffers().forEach(([, b], i) => b.data().set(init0[i]));
      model.train();
      noGrad(() =>
        model.forward(
          tensor(data.images.subarray(start * 784, (start + count) * 784), [count, 1, 28, 28])
        )
      );
      perShard.push(model.namedBuffers().map(([, b]) => b.toFloat32Array()));
    }
    model.namedBuffers().forEach(([, b], i) => b.data().set(init0[i]));
    const dp = new DataParallel({
      model,
      modelName: 'resnet-mini',
      workers: 2,
      maxBatch: 32,
      sampleShape: [1, 28, 28],
    });
    try {
      await dp.step(data.images, data.labels, 32, 1, 'bn step');
      const got = model.namedBuffers().map(([, b]) => b.toFloat32Array());
      const want = perShard[0].map((a, i) => a.map((v, j) => 0.5 * v + 0.5 * perShard[1][i][j]));
      const d = maxRelDiff(got, want);
      assert.ok(d <= 1e-5, `running statistics differ by ${d.toExponential(2)}`);
      assert.ok(maxRelDiff(got, init0) > 1e-3, 'running statistics did not move');
    } finally {
      await dp.close();
    }
  }
);

t('ten Adam steps with 2 workers give the parameters of 1 thread (within 1e-5)', async () => {
  const run = async (workers: number): Promise<Float32Array[]> => {
    manualSeed(3);
    const model = createModel('lenet5');
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const trainer = new Trainer({
      model,
      optimizer: opt,
      train: head(160),
      epochs: 1,
      batchSize: 16,
      seed: 5,
      workers,
      out: quiet,
    });
    await trainer.fit();
    return values(model.parameters());
  };
  const one = await run(1);
  const two = await run(2);
  const d = maxRelDiff(two, one);
  assert.ok(d <= 1e-5, `parameters differ by ${d.toExponential(2)} after 10 steps`);
});

for (const kind of ['throw', 'exit'] as const) {
  t(
    `a worker that ${kind === 'throw' ? 'throws' : 'dies'} mid-step fails the step with a clear error, no hang`,
    async () => {
      manualSeed(4);
      const model = createModel('lenet5');
      const faults = new FaultInjector();
      const dp = new DataParallel({
        model,
        modelName: 'lenet5',
        workers: 2,
        maxBatch: 32,
        sampleShape: [1, 28, 28],
        createPool: faults.createPool,
      });
      try {
        let message = '';
        faults.arm(1, kind);
        try {
          await withTimeout(
            dp.step(data.images, data.labels, 32, 1, 'epoch 1 step 3'),
            30000,
            'faulty step'
          );
        } catch (e) {
          message = (e as Error).message;
        }
        assert.ok(
          /worker for shard 2\/2 \(rows 16\.\.31\) failed at epoch 1 step 3/.test(message),
          message
        );
        if (kind === 'throw') assert.ok(message.includes('injected fault'), message);
        // the pool was rebuilt: the next step works
        const r = await withTimeout(
          dp.step(data.images, data.labels, 32, 1, 'next'),
          30000,
          'step after fault'
        );
        assert.ok(Number.isFinite(r.loss));
      } finally {
        await dp.close();
      }
    }
  );
}

for (const workers of [1, 2]) {
  t(
    `stop and resume from the checkpoint continues where it stopped (workers=${workers})`,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'simdgrad-ckpt-'));
      const ckpt = join(dir, 'run.ckpt.safetensors');
      const make = (resume: boolean, checkpoint?: string): Trainer => {
        manualSeed(6);
        const model = createModel('lenet5');
        const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
        return new Trainer({
          model,
          optimizer: opt,
          train: head(192),
          epochs: 2,
          batchSize: 64,
          seed: 8,
          workers,
          checkpoint,
          resume,
          out: quiet,
        });
      };
      const straight = make(false);
      await straight.fit();
      const first = make(false, ckpt);
      first.stop(); // stops after its first step
      await first.fit();
      assert.ok(first.stopped);
      const second = make(true, ckpt);
      await second.fit();
      assert.is(second.history.length, 2);
      const d = maxRelDiff(
        values(second.opts.model.parameters()),
        values(straight.opts.model.parameters())
      );
      assert.ok(
        d <= 1e-6,
        `resumed run differs from the uninterrupted one by ${d.toExponential(2)}`
      );
      await rm(dir, { recursive: true });
    }
  );
}

t(
  '3 workers: the same step twice gives the same bits; memory stops growing; close() frees it',
  async () => {
    manualSeed(13);
    const model = createModel('small-cnn');
    const heap = getRuntime().heap;
    const dp = new DataParallel({
      model,
      modelName: 'small-cnn',
      workers: 3,
      maxBatch: 40,
      sampleShape: [1, 28, 28],
    });
    try {
      const seed = stepSeed(2, 0, 0);
      await dp.step(data.images, data.labels, 40, seed, 'first');
      const first = grads(model.parameters());
      await dp.step(data.images, data.labels, 40, seed, 'again');
      const bytes = heap.memory.buffer.byteLength;
      const owned = [...heap.pages.owned().values()].reduce((a, b) => a + b, 0);
      for (let i = 0; i < 4; i++) await dp.step(data.images, data.labels, 40, seed, `more ${i}`);
      const again = grads(model.parameters());
      again.forEach((g, i) =>
        assert.ok(
          g.every((v, j) => Object.is(v, first[i][j])),
          `parameter ${i}: the same step gave other bits`
        )
      );
      assert.is(heap.memory.buffer.byteLength, bytes, 'the memory grew over repeated steps');
      assert.is(
        [...heap.pages.owned().values()].reduce((a, b) => a + b, 0),
        owned
      );
      assert.ok(heap.pages.owned().size > 1, 'the workers hold pages');
    } finally {
      await dp.close();
    }
    assert.equal([...heap.pages.owned().keys()], [heap.owner], 'pages left after close()');
  }
);

t(
  'a pool that lost a worker between steps is replaced before the next step (no wait forever)',
  async () => {
    manualSeed(14);
    const model = createModel('lenet5');
    let made = 0;
    let live = 2;
    const createPool = (size: number, init: WorkerInit): WorkerPool => {
      made++;
      live = size;
      const inner = new PiscinaPool(size, init);
      return {
        size,
        run: (task) => inner.run(task),
        destroy: () => inner.destroy(),
        live: () => live,
      };
    };
    const dp = new DataParallel({
      model,
      modelName: 'lenet5',
      workers: 2,
      maxBatch: 16,
      sampleShape: [1, 28, 28],
      createPool,
      stepTimeoutMs: 60_000,
    });
    try {
      await dp.step(data.images, data.labels, 16, 1, 'one');
      live = 1;
      const r = await withTimeout(
        dp.step(data.images, data.labels, 16, 1, 'two'),
        30000,
        'step with a dead worker'
      );
      assert.ok(Number.isFinite(r.loss));
      assert.is(made, 2, 'pools made');
    } finally {
      await dp.close();
    }
  }
);

t("the reduction's slices cover every value of every tensor once, at multiples of 16", () => {
  const sizes = [1, 15, 16, 17, 100, 4099, 3, 65];
  const offsets: number[] = [];
  let total = 0;
  for (const n of sizes) {
    offsets.push(total);
    total += Math.ceil(n / 16) * 16;
  }
  for (const parts of [1, 2, 3, 5, 7, 64]) {
    sizes.forEach((n, i) => {
      const seen = new Uint8Array(n);
      for (let part = 0; part < parts; part++) {
        const r = reducePart(offsets[i], n, total, part, parts);
        if (!r) continue;
        assert.is(r.start % 16, 0);
        for (let j = r.start; j < r.start + r.count; j++) seen[j]++;
      }
      assert.ok(
        seen.every((c) => c === 1),
        `size ${n}, ${parts} parts`
      );
    });
  }
});

t('a runtime over a private memory cannot train on workers, and says so', async () => {
  const shared = getRuntime();
  setRuntime(
    await createRuntime({ memory: new WebAssembly.Memory({ initial: 16, maximum: 65536 }) })
  );
  try {
    const model = createModel('lenet5');
    let msg = '';
    try {
      new DataParallel({ model, workers: 2, maxBatch: 8, sampleShape: [1, 28, 28] });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.ok(msg.includes('not shared') && msg.includes('workers: 1'), msg);
  } finally {
    setRuntime(shared);
  }
});

t.run();
