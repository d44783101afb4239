// The model replica a data-parallel worker holds, whatever the thread: its own instance of the
// kernels (the compiled module it was sent), reading parameters and its shard of the batch from
// shared memory and writing its shard's gradient into its slot. worker.ts hosts it under piscina
// (Node), web-worker.ts in a Web Worker; sources.ts builds the model, loss and metrics it is told
// of. Tests: test/parallel/, test/browser/.

import '../autograd/tape.js';
import { noGrad } from '../autograd/tape.js';
import { setBatchRowOffset } from '../ops/elementwise.js';
import { createRuntime, type BuildName } from '../runtime/load.js';
import { manualSeed } from '../tensor/random.js';
import { setRuntime, tensor, tidy, type Tensor } from '../tensor/tensor.js';
import type { LossFunction } from '../train/metrics.js';
import { computeLoss, computeMetrics, resolveLoss } from '../train/objective.js';
import type { ShardResult, ShardTask, WorkerInit } from './pool.js';
import { paramLayout } from './shared.js';
import { buildReplicaModel, checkReplicaState, loadLoss, loadMetrics } from './sources.js';

export interface ReplicaHost {
  /** Reported in every result (tests check that shards ran on distinct threads). */
  threadId: number;
  /** What fault 'exit' does: end the thread the way a crash would (tests only). */
  die(): never;
}

/** Builds the replica from what the pool sent at start (importing the model, loss and metrics
 * modules it names) and checks it against the main model; returns the per-task function. */
export async function createReplica(init: WorkerInit, host: ReplicaHost):
  Promise<(task: ShardTask) => ShardResult> {
  const rt = await createRuntime({ module: init.module, build: init.build as BuildName });
  setRuntime(rt);
  const model = await buildReplicaModel(init.model);
  checkReplicaState(model, init.state);
  const labels = init.targetShape === null;
  const lossSrc = await loadLoss(init.loss);
  const loss: LossFunction = resolveLoss(lossSrc.fn, labels, lossSrc.labelSmoothing, 'worker');
  const evalLoss: LossFunction = resolveLoss(lossSrc.fn, labels, 0, 'worker');
  const metrics = await loadMetrics(init.metrics);
  const params = model.parameters();
  const buffers = model.namedBuffers().map(([, t]) => t);
  const state = [...params, ...buffers];
  const paramView = new Float32Array(init.params);
  const gradView = new Float32Array(init.grads);
  const trainable = init.trainable ? new Uint8Array(init.trainable) : null;
  const xView = new Float32Array(init.x);
  const yLabels = labels ? new Int32Array(init.y) : null;
  const yFloats = labels ? null : new Float32Array(init.y);
  const targetShape = init.targetShape ?? [];
  const targetSize = targetShape.reduce((a, b) => a * b, 1);
  const layout = paramLayout(state.map((p) => p.size));
  const total = layout.total;
  const sample = init.sampleShape.reduce((a, b) => a * b, 1);
  const threadId = host.threadId;

  const shardInput = (task: ShardTask): { x: Tensor; target: Int32Array | Tensor } => ({
    x: tensor(xView.subarray(task.start * sample, (task.start + task.count) * sample),
      [task.count, ...init.sampleShape]),
    target: yLabels ? yLabels.slice(task.start, task.start + task.count)
      : tensor(yFloats!.subarray(task.start * targetSize, (task.start + task.count) * targetSize),
        [task.count, ...targetShape]),
  });

  const evaluateShard = (task: ShardTask): ShardResult => {
    model.eval();
    return noGrad(() => tidy(() => {
      const { x, target } = shardInput(task);
      const out = model.forward(x);
      const value = computeLoss(evalLoss, out, target, 'worker').item();
      return { loss: value, metrics: computeMetrics(metrics, out, target, 'worker'), threadId };
    }));
  };

  return (task: ShardTask): ShardResult => {
    if (task.mode === 'check') return { loss: 0, metrics: {}, threadId };
    state.forEach((p, i) => {
      p.rawData().set(paramView.subarray(layout.offsets[i], layout.offsets[i] + p.size));
    });
    manualSeed(task.stepSeed);
    setBatchRowOffset(task.start);
    if (task.mode === 'eval') return evaluateShard(task);
    model.train();
    if (trainable) params.forEach((p, i) => (p.requiresGrad = trainable[i] === 1));
    return tidy(() => {
      for (const p of params) {
        p.grad?.dispose();
        p.grad = null;
      }
      const { x, target } = shardInput(task);
      const out = model.forward(x);
      const value = computeLoss(loss, out, target, 'worker');
      // read before backward, which may free the graph's tensors (output included)
      const result = { loss: value.item(), metrics: computeMetrics(metrics, out, target, 'worker'),
        threadId };
      if (task.fault === 'throw') throw new Error('injected fault (test)');
      if (task.fault === 'exit') host.die();
      value.backward();
      const slot = gradView.subarray(task.shard * total, (task.shard + 1) * total);
      params.forEach((p, i) => {
        const o = layout.offsets[i];
        if (p.grad) slot.set(p.grad.rawData(), o);
        else slot.fill(0, o, o + p.size);
      });
      buffers.forEach((b, j) => slot.set(b.rawData(), layout.offsets[params.length + j]));
      return result;
    });
  };
}
