// Training checkpoints: model parameters, optimizer buffers and where the run stood (epoch,
// step, history), in one safetensors file written atomically (a crash mid-save keeps the old).
// Tensors: "model.<name>", "optim.<key>"; metadata: epoch, step, optimizer scalars, history, the
// run's batch size, seed and training-set size (a resume must replay the same batches), the
// interrupted epoch's running sums, and the model's zoo name ("model") or layer spec ("spec",
// JSON) when it has one. Tests: test/reliability/cli.test.ts, test/parallel/, test/train/.

import { access } from 'node:fs/promises';
import { loadSafetensors, saveSafetensors } from '../io/safetensors-node.js';
import type { LoadedTensor, TensorF32 } from '../io/safetensors.js';
import { modelSpec } from '../models/spec.js';
import { zooName } from '../models/zoo.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/index.js';
import type { CheckpointRun, EpochRecord, EpochSums } from './types.js';

export interface CheckpointState {
  model: Module;
  optimizer: Optimizer;
  /** Completed epochs. */
  epoch: number;
  /** Steps done in the next epoch (0 at an epoch boundary). */
  step: number;
  history: EpochRecord[];
  /** What the run's batches depend on; a resume with other values would replay other batches. */
  run?: CheckpointRun;
  /** Sums over the steps done in the interrupted epoch (step > 0), so its record covers them. */
  partial?: EpochSums;
}

export async function saveCheckpoint(path: string, s: CheckpointState): Promise<void> {
  const tensors: Record<string, TensorF32> = {};
  for (const [name, t] of Object.entries(s.model.stateDict())) tensors[`model.${name}`] = t;
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.optimizer.stateDict())) {
    if (typeof v === 'number') scalars[k] = v;
    else tensors[`optim.${k}`] = { shape: [v.length], data: v };
  }
  const spec = modelSpec(s.model);
  await saveSafetensors(path, tensors, {
    format: 'simdgrad-checkpoint',
    model: spec && 'zoo' in spec ? spec.zoo : '',
    ...(spec && !('zoo' in spec) ? { spec: JSON.stringify(spec) } : {}),
    epoch: String(s.epoch),
    step: String(s.step),
    optimizer: JSON.stringify(scalars),
    history: JSON.stringify(s.history),
    ...(s.run ? { run: JSON.stringify(s.run) } : {}),
    ...(s.partial ? { partial: JSON.stringify(s.partial) } : {}),
  });
}

const RUN_NAMES: Record<keyof CheckpointRun, string> = {
  batchSize: 'batch size',
  seed: 'seed',
  trainSize: 'training-set size',
};

/**
 * Restores model and optimizer from path; null when there is no such file yet. When expect is
 * given, a checkpoint written with another batch size, seed or training-set size is refused
 * before anything is loaded (its step count would point into other batches).
 */
export async function loadCheckpoint(
  path: string,
  model: Module,
  optimizer: Optimizer,
  expect?: CheckpointRun
): Promise<{ epoch: number; step: number; history: EpochRecord[]; partial?: EpochSums } | null> {
  try {
    await access(path);
  } catch {
    return null;
  }
  const { tensors, metadata } = await loadSafetensors(path);
  if (metadata.format !== 'simdgrad-checkpoint') {
    throw new Error(
      `checkpoint ${path}: not a simdgrad checkpoint (metadata format '${metadata.format ?? ''}')`
    );
  }
  const name = zooName(model);
  if (metadata.model && name && metadata.model !== name) {
    throw new Error(
      `checkpoint ${path}: holds model '${metadata.model}', this run trains '${name}'`
    );
  }
  if (expect && metadata.run) {
    const run = JSON.parse(metadata.run) as CheckpointRun;
    for (const k of Object.keys(RUN_NAMES) as (keyof CheckpointRun)[]) {
      if (run[k] !== undefined && run[k] !== expect[k]) {
        throw new Error(
          `checkpoint ${path}: written by a run with ${RUN_NAMES[k]} ${run[k]}, ` +
            `this run has ${expect[k]}; resume with the same ${RUN_NAMES[k]} (its step ` +
            `${metadata.step} of epoch ${Number(metadata.epoch) + 1} means other batches otherwise)`
        );
      }
    }
  }
  const sd: Record<string, LoadedTensor> = {};
  const osd: Record<string, Float32Array | number> = JSON.parse(metadata.optimizer ?? '{}');
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) sd[name.slice(6)] = t;
    else if (name.startsWith('optim.'))
      osd[name.slice(6)] = t.dtype === 'F32' ? t.data : Float32Array.from(t.data);
  }
  model.loadStateDict(sd);
  optimizer.loadStateDict(osd);
  return {
    epoch: Number(metadata.epoch),
    step: Number(metadata.step),
    history: JSON.parse(metadata.history ?? '[]'),
    partial: metadata.partial ? (JSON.parse(metadata.partial) as EpochSums) : undefined,
  };
}
