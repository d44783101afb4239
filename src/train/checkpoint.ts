// Training checkpoints: model parameters, optimizer buffers and where the run stood (epoch,
// step, history), in one safetensors file written atomically (a crash mid-save keeps the old).
// Tensors: "model.<name>", "optim.<key>"; metadata: epoch, step, optimizer scalars, history.

import { access } from 'node:fs/promises';
import { loadSafetensors, saveSafetensors } from '../io/safetensors-node.js';
import type { LoadedTensor, TensorF32 } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/index.js';
import type { EpochRecord } from './trainer.js';

export interface CheckpointState {
  model: Module;
  optimizer: Optimizer;
  /** Completed epochs. */
  epoch: number;
  /** Steps done in the next epoch (0 at an epoch boundary). */
  step: number;
  history: EpochRecord[];
}

export async function saveCheckpoint(path: string, s: CheckpointState): Promise<void> {
  const tensors: Record<string, TensorF32> = {};
  for (const [name, t] of Object.entries(s.model.stateDict())) tensors[`model.${name}`] = t;
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.optimizer.stateDict())) {
    if (typeof v === 'number') scalars[k] = v;
    else tensors[`optim.${k}`] = { shape: [v.length], data: v };
  }
  await saveSafetensors(path, tensors, {
    format: 'simdgrad-checkpoint', model: s.model.zooName ?? '', epoch: String(s.epoch),
    step: String(s.step), optimizer: JSON.stringify(scalars), history: JSON.stringify(s.history),
  });
}

/** Restores model and optimizer from path; null when there is no such file yet. */
export async function loadCheckpoint(path: string, model: Module, optimizer: Optimizer):
  Promise<{ epoch: number; step: number; history: EpochRecord[] } | null> {
  try {
    await access(path);
  } catch {
    return null;
  }
  const { tensors, metadata } = await loadSafetensors(path);
  if (metadata.format !== 'simdgrad-checkpoint') {
    throw new Error(`checkpoint ${path}: not a simdgrad checkpoint (metadata format '${metadata.format ?? ''}')`);
  }
  if (metadata.model && model.zooName && metadata.model !== model.zooName) {
    throw new Error(`checkpoint ${path}: holds model '${metadata.model}', this run trains '${model.zooName}'`);
  }
  const sd: Record<string, LoadedTensor> = {};
  const osd: Record<string, Float32Array | number> = JSON.parse(metadata.optimizer ?? '{}');
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) sd[name.slice(6)] = t;
    else if (name.startsWith('optim.')) osd[name.slice(6)] = t.dtype === 'F32' ? t.data : Float32Array.from(t.data);
  }
  model.loadStateDict(sd);
  optimizer.loadStateDict(osd);
  return { epoch: Number(metadata.epoch), step: Number(metadata.step), history: JSON.parse(metadata.history ?? '[]') };
}
