// A data-parallel worker: a model replica on its own instance of the kernels (the compiled
// module it was sent), reading parameters and its shard of the batch from shared memory and
// writing its shard's gradient into its slot. Runs under piscina (Node).

import { threadId, workerData } from 'node:worker_threads';
import '../autograd/tape.js';
import { createModel } from '../models/zoo.js';
import * as F from '../nn/functional.js';
import { noGrad } from '../autograd/tape.js';
import { setBatchRowOffset } from '../ops/elementwise.js';
import { createRuntime, type BuildName } from '../runtime/load.js';
import { manualSeed } from '../tensor/random.js';
import { setRuntime, tensor, tidy } from '../tensor/tensor.js';
import type { ShardResult, ShardTask, WorkerInit } from './pool.js';
import { countCorrect, paramLayout } from './shared.js';

const init = workerData as WorkerInit;
const rt = await createRuntime({ module: init.module, build: init.build as BuildName });
setRuntime(rt);
const model = createModel(init.model);
const params = model.parameters();
const paramView = new Float32Array(init.params);
const gradView = new Float32Array(init.grads);
const xView = new Float32Array(init.x);
const yView = new Int32Array(init.y);
const layout = paramLayout(params.map((p) => p.size));
const total = layout.total;
const sample = init.sampleShape.reduce((a, b) => a * b, 1);

export default function step(task: ShardTask): ShardResult {
  params.forEach((p, i) => p.data().set(paramView.subarray(layout.offsets[i], layout.offsets[i] + p.size)));
  manualSeed(task.stepSeed);
  setBatchRowOffset(task.start);
  if (task.mode === 'eval') return evaluateShard(task);
  model.train();
  return tidy(() => {
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
    }
    const x = tensor(xView.subarray(task.start * sample, (task.start + task.count) * sample),
      [task.count, ...init.sampleShape]);
    const labels = yView.subarray(task.start, task.start + task.count);
    const logits = model.forward(x);
    const loss = F.crossEntropy(logits, labels);
    if (task.fault === 'throw') throw new Error('injected fault (test)');
    if (task.fault === 'exit') process.exit(3);
    loss.backward();
    const slot = gradView.subarray(task.shard * total, (task.shard + 1) * total);
    params.forEach((p, i) => {
      const o = layout.offsets[i];
      if (p.grad) slot.set(p.grad.data(), o);
      else slot.fill(0, o, o + p.size);
    });
    return { loss: loss.item(), correct: countCorrect(logits, labels, task.count), threadId };
  });
}

function evaluateShard(task: ShardTask): ShardResult {
  model.eval();
  return noGrad(() => tidy(() => {
    const x = tensor(xView.subarray(task.start * sample, (task.start + task.count) * sample),
      [task.count, ...init.sampleShape]);
    const labels = yView.subarray(task.start, task.start + task.count);
    const logits = model.forward(x);
    const loss = F.crossEntropy(logits, labels);
    return { loss: loss.item(), correct: countCorrect(logits, labels, task.count), threadId };
  }));
}
