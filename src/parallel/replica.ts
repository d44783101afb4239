// The model replica a data-parallel worker holds, whatever the thread: its own instance of the
// kernels over the main thread's shared memory and its own heap in it. The replica's parameters
// are the main model's (read in place); its buffers are copies refreshed every shard; the
// gradients of the batch shards it takes (takeShards()) stay in its heap until the step's
// reduction: once every shard is done (meet()), each worker sums one slice of all shards'
// gradients into the model's (reduce()).
// worker.ts hosts it under piscina (Node), web-worker.ts in a Web Worker; sources.ts builds the
// model, loss and metrics it is told of. Tests: test/parallel/, test/browser/.

import '../autograd/tape.js';
import { noGrad } from '../autograd/tape.js';
import { kernel } from '../runtime/kernels/call.js';
import { axpy, fill, scale } from '../runtime/kernels/elementwise.js';
import { createRuntime, type BuildName } from '../runtime/load.js';
import { Generator, withGenerator } from '../tensor/random.js';
import { setRuntime, Tensor, tensor, tidy } from '../tensor/tensor.js';
import type { LossFunction } from '../train/metrics.js';
import { computeLoss, computeMetrics, resolveLoss } from '../train/objective.js';
import {
  SHARD_ABORTED,
  SYNC_ABORT,
  SYNC_ARRIVED,
  SYNC_CLAIMS,
  SYNC_NEXT,
  TABLE_FIXED,
  type ShardResult,
  type ShardTask,
  type WorkerInit,
  type WorkerTask,
  wallClockMs,
} from './pool.js';
import { paramLayout, reducePart } from './shared.js';
import { buildReplicaModel, checkReplicaState, loadLoss, loadMetrics } from './sources.js';

/** Builds the replica from what the pool sent at start (importing the model, loss and metrics
 * modules it names) and checks it against the main model; returns the per-task function.
 * threadId is reported in every result (tests check that shards ran on distinct threads). */
export async function createReplica(
  init: WorkerInit,
  threadId: number
): Promise<(task: WorkerTask) => ShardResult> {
  const rt = await createRuntime({
    module: init.module,
    build: init.build as BuildName,
    memory: init.memory,
    join: { pages: init.pages, owner: init.owner },
  });
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
  const table = new Uint32Array(init.table);
  const sync = new Int32Array(init.sync);
  const trainable = init.trainable ? new Uint8Array(init.trainable) : null;
  const row = table.length / state.length;
  const xView = new Float32Array(init.x);
  const yLabels = labels ? new Int32Array(init.y) : null;
  const yFloats = labels ? null : new Float32Array(init.y);
  const targetShape = init.targetShape ?? [];
  const targetSize = targetShape.reduce((a, b) => a * b, 1);
  const layout = paramLayout(state.map((p) => p.size));
  const sample = init.sampleShape.reduce((a, b) => a * b, 1);

  const shardInput = (
    start: number,
    count: number
  ): { x: Tensor; target: Int32Array | Tensor } => ({
    x: tensor(xView.subarray(start * sample, (start + count) * sample), [
      count,
      ...init.sampleShape,
    ]),
    target: yLabels
      ? yLabels.slice(start, start + count)
      : tensor(yFloats!.subarray(start * targetSize, (start + count) * targetSize), [
          count,
          ...targetShape,
        ]),
  });

  const evaluateShard = (task: ShardTask): ShardResult => {
    model.eval();
    return noGrad(() =>
      tidy(() => {
        const { x, target } = shardInput(task.start, task.count);
        const out = model.forward(x);
        const value = computeLoss(evalLoss, out, target, 'worker').item();
        return { loss: value, metrics: computeMetrics(metrics, out, target, 'worker'), threadId };
      })
    );
  };

  /** Points the parameters at the main model's and copies its buffers into the replica's. */
  const refresh = (): void => {
    const f32 = rt.heap.f32All;
    state.forEach((p, i) => {
      const main = table[i * row];
      if (i < params.length) {
        if (p.buf.ptr !== main) p.borrow({ ptr: main, length: p.size });
      } else {
        f32.copyWithin(p.buf.ptr >>> 2, main >>> 2, (main >>> 2) + p.size);
      }
    });
  };

  /** Waits until the step's every shard has its gradient in the table; throws when one failed
   * or waitMs passed. */
  const meet = (task: ShardTask): void => {
    const shards = task.rows!.length;
    const t0 = Date.now();
    for (;;) {
      const arrived = Atomics.load(sync, SYNC_ARRIVED);
      if (arrived >= shards) return;
      if (Atomics.load(sync, SYNC_ABORT)) throw new Error(SHARD_ABORTED);
      const left = task.waitMs! - (Date.now() - t0);
      if (left <= 0) {
        throw new Error(
          `${arrived} of ${shards} shards had their gradient after ${task.waitMs} ms`
        );
      }
      Atomics.wait(sync, SYNC_ARRIVED, arrived, Math.min(left, 1000));
    }
  };

  const abort = (): void => {
    Atomics.store(sync, SYNC_ABORT, 1);
    Atomics.notify(sync, SYNC_ARRIVED);
  };

  /** The shard-th of tasks slices of every target = sum over the batch shards, in order, of
   * weight * the shard's value (scale, then axpy: the kernels one thread's sum would use); with
   * task.update, the optimizer's kernel then steps that slice of each parameter. */
  const reduce = (task: ShardTask): void => {
    const shards = task.rows!.length;
    state.forEach((p, i) => {
      if (table[i * row + 1] === 0) return;
      const part = reducePart(layout.offsets[i], p.size, layout.total, task.shard, task.tasks!);
      if (!part) return;
      const bytes = part.start * 4;
      const out = { ptr: table[i * row + 1] + bytes, length: part.count };
      for (let k = 0; k < shards; k++) {
        const from = table[i * row + TABLE_FIXED + k];
        if (from === 0) {
          if (k === 0) fill(rt, out, 0, part.count);
          continue;
        }
        const src = { ptr: from + bytes, length: part.count };
        if (k === 0) scale(rt, src, task.weights![k], out, part.count);
        else axpy(rt, task.weights![k], src, out, part.count);
      }
      // the optimizer's step on the same slice, while it is in this core's cache
      const u = i < params.length ? task.update?.params[i] : null;
      if (u) {
        const step = kernel(rt, task.update!.kernel) as unknown as (...a: number[]) => void;
        step(
          table[i * row] + bytes,
          out.ptr,
          ...u.state.map((at) => (at === 0 ? 0 : at + bytes)),
          part.count,
          ...u.scalars
        );
      }
    });
  };

  // The gradients of the shards this worker computed in the current step (freed at the next),
  // and per shard index, where its buffers' updated values wait for the reduction.
  let held: Tensor[] = [];
  const stash = new Map<number, Tensor[]>();

  const trainShard = (
    task: ShardTask,
    j: number
  ): { index: number; loss: number; metrics: Record<string, number> } =>
    tidy(() => {
      refresh();
      const [start, count] = task.rows![j];
      model.train();
      if (trainable) params.forEach((p, i) => (p.requiresGrad = trainable[i] === 1));
      const { x, target } = shardInput(start, count);
      const out = model.forward(x);
      const value = computeLoss(loss, out, target, 'worker');
      // read before backward, which may free the graph's tensors (output included)
      const result = {
        index: j,
        loss: value.item(),
        metrics: computeMetrics(metrics, out, target, 'worker'),
      };
      value.backward();
      // the gradients (kept by backward, out of tidy's reach) stay until the next step; .grad is
      // cleared so that the next shard's backward does not add to them
      params.forEach((p, i) => {
        table[i * row + TABLE_FIXED + j] = p.grad ? p.grad.buf.ptr : 0;
        if (p.grad) held.push(p.grad);
        p.grad = null;
      });
      let copies = stash.get(j);
      if (!copies) {
        copies = buffers.map((b) => Tensor.empty(b.shape).keep());
        stash.set(j, copies);
      }
      const f32 = rt.heap.f32All;
      buffers.forEach((b, k) => {
        const to = copies[k].buf.ptr;
        f32.copyWithin(to >>> 2, b.buf.ptr >>> 2, (b.buf.ptr >>> 2) + b.size);
        table[(params.length + k) * row + TABLE_FIXED + j] = to;
      });
      return result;
    });

  /** Computes this task's own shard (the shard-th), then takes the shards past the step's task
   * count in turn from the shared counter until none is left; each claimed in the sync cells. */
  const takeShards = (task: ShardTask): NonNullable<ShardResult['shards']> => {
    for (const g of held) g.dispose();
    held = [];
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
    }
    const done: NonNullable<ShardResult['shards']> = [];
    const shards = task.rows!.length;
    for (let j = task.shard; j < shards; j = task.tasks! + Atomics.add(sync, SYNC_NEXT, 1)) {
      if (Atomics.load(sync, SYNC_ABORT)) throw new Error(SHARD_ABORTED);
      Atomics.store(sync, SYNC_CLAIMS + j, task.shard + 1);
      // the step's draws, from where this shard's rows start: what one thread would draw
      const generator = new Generator(task.stepSeed, { batchRowOffset: task.rows![j][0] });
      done.push(withGenerator(generator, () => trainShard(task, j)));
      Atomics.store(sync, SYNC_CLAIMS + j, -(task.shard + 1));
      if (Atomics.add(sync, SYNC_ARRIVED, 1) + 1 === shards) Atomics.notify(sync, SYNC_ARRIVED);
    }
    return done;
  };

  return (task: WorkerTask): ShardResult => {
    if (task.mode === 'check') return { loss: 0, metrics: {}, threadId };
    const start = wallClockMs();
    if (task.mode === 'eval') {
      refresh();
      const generator = new Generator(task.stepSeed, { batchRowOffset: task.start });
      const r = withGenerator(generator, () => evaluateShard(task));
      const end = wallClockMs();
      r.times = { start, computed: end, met: end, reduced: end };
      return r;
    }
    let shards: ShardResult['shards'];
    try {
      shards = takeShards(task);
    } catch (e) {
      abort();
      throw e;
    }
    const computed = wallClockMs();
    meet(task);
    const met = wallClockMs();
    reduce(task);
    return {
      loss: 0,
      metrics: {},
      shards,
      threadId,
      times: { start, computed, met, reduced: wallClockMs() },
    };
  };
}
