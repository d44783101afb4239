// A hand-written training loop with no tidy() and no dispose(): zeroGrad -> forward -> loss ->
// backward -> step, as a PyTorch user writes it, then an evaluation loop in eval mode without
// noGrad. Memory manages itself (backward frees the graph, dropped tensors are collected), so the
// live bytes printed every `every` steps stay flat. `node dist/examples/manual-loop.js [--quick]`
// after `npm run build`; --quick runs 600 steps of LeNet-5 on 4,096 images.
import { F, data, init, manualSeed, memory, models, optim, tensor } from 'simdgrad';

const quick = process.argv.includes('--quick');
const steps = quick ? 600 : 3000;
const every = quick ? 100 : 500;
await init();
const train = await data.mnist({ split: 'train', limit: quick ? 4096 : undefined });
const test = await data.mnist({ split: 'test', limit: quick ? 1000 : undefined });
for (const d of [train, test]) data.normalize(d.images, data.MNIST_MEAN, data.MNIST_STD, d.images);

manualSeed(1);
const model = models.lenet5();
const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
const loader = new data.DataLoader(train, { batchSize: 64, shuffle: true, dropLast: true });
const mib = (b: number): string => (b / 2 ** 20).toFixed(2);

let step = 0;
for (let epoch = 0; step < steps; epoch++) {
  for (const { x: images, y: labels, size } of loader.epoch(epoch)) {
    const x = tensor(images, [size, 1, 28, 28]);
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), labels);
    loss.backward();
    opt.step();
    if (++step % every === 0) {
      const m = memory();
      console.log(
        `step ${step} loss ${loss.item().toFixed(4)} live ${mib(m.numBytes)} MiB ` +
          `heap high water ${mib(m.heapHighWaterBytes)} MiB`
      );
    }
    if (step === steps) break;
  }
}

model.eval();
let correct = 0;
for (let i = 0; i < test.n; i += 100) {
  const n = Math.min(100, test.n - i);
  const logits = model.forward(
    tensor(test.images.subarray(i * 784, (i + n) * 784), [n, 1, 28, 28])
  );
  const pred = logits.argmax(1).toFloat32Array();
  for (let k = 0; k < n; k++) if (pred[k] === test.labels[i + k]) correct++;
}
const m = memory();
console.log(
  `test accuracy ${((100 * correct) / test.n).toFixed(2)}%; live ${mib(m.numBytes)} MiB, ` +
    `heap high water ${mib(m.heapHighWaterBytes)} MiB`
);
