// The model replica a data-parallel worker holds, whatever the thread: its own instance of the
// kernels (the compiled module it was sent), reading parameters and its shard of the batch from
// shared memory and writing its shard's gradient into its slot. worker.ts hosts it under piscina
// (Node), web-worker.ts in a Web Worker. Tests: test/parallel/, test/browser/.

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

export interface ReplicaHost {
  /** Reported in every result (tests check that shards ran on distinct threads). */
  threadId: number;
  /** What fault 'exit' does: end the thread the way a crash would (tests only). */
  die(): never;
}

/** Builds the replica from what the pool sent at start; returns the per-task function. */
export async function createReplica(init: WorkerInit, host: ReplicaHost):
  Promise<(task: ShardTask) => ShardResult> {
  const rt = await createRuntime({ module: init.module, build: init.build as BuildName });
  setRuntime(rt);
  const model = createModel(init.model);
  const params = model.parameters();
  const buffers = model.namedBuffers().map(([, t]) => t);
  const state = [...params, ...buffers];
  const paramView = new Float32Array(init.params);
  const gradView = new Float32Array(init.grads);
  const xView = new Float32Array(init.x);
  const yView = new Int32Array(init.y);
  const layout = paramLayout(state.map((p) => p.size));
  const total = layout.total;
  const sample = init.sampleShape.reduce((a, b) => a * b, 1);
  const threadId = host.threadId;

  const shardInput = (task: ShardTask) => ({
    x: tensor(xView.subarray(task.start * sample, (task.start + task.count) * sample),
      [task.count, ...init.sampleShape]),
    labels: yView.subarray(task.start, task.start + task.count),
  });

  const evaluateShard = (task: ShardTask): ShardResult => {
    model.eval();
    return noGrad(() => tidy(() => {
      const { x, labels } = shardInput(task);
      const logits = model.forward(x);
      const loss = F.crossEntropy(logits, labels);
      return { loss: loss.item(), correct: countCorrect(logits, labels, task.count), threadId };
    }));
  };

  return (task: ShardTask): ShardResult => {
    state.forEach((p, i) => {
      p.rawData().set(paramView.subarray(layout.offsets[i], layout.offsets[i] + p.size));
    });
    manualSeed(task.stepSeed);
    setBatchRowOffset(task.start);
    if (task.mode === 'eval') return evaluateShard(task);
    model.train();
    return tidy(() => {
      for (const p of params) {
        p.grad?.dispose();
        p.grad = null;
      }
      const { x, labels } = shardInput(task);
      const logits = model.forward(x);
      const loss = F.crossEntropy(logits, labels, { labelSmoothing: init.labelSmoothing });
      if (task.fault === 'throw') throw new Error('injected fault (test)');
      if (task.fault === 'exit') host.die();
      loss.backward();
      const slot = gradView.subarray(task.shard * total, (task.shard + 1) * total);
      params.forEach((p, i) => {
        const o = layout.offsets[i];
        if (p.grad) slot.set(p.grad.rawData(), o);
        else slot.fill(0, o, o + p.size);
      });
      buffers.forEach((b, j) => slot.set(b.rawData(), layout.offsets[params.length + j]));
      return { loss: loss.item(), correct: countCorrect(logits, labels, task.count), threadId };
    });
  };
}
