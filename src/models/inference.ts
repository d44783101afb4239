// Inference for apps: a model with saved weights (loadModel) and class probabilities for a
// batch of images (predict), the same in Node and in a page. Tests: test/models/inference.test.ts,
// test/browser/demo.test.ts.

import { noGrad } from '../autograd/tape.js';
import { parseSafetensors, type LoadedTensor } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import { isNode, loadNodeRuntime } from '../runtime/platform.js';
import { getNumThreads, withNumThreads } from '../runtime/threads.js';
import { tensor, tidy } from '../tensor/tensor.js';
import { buildModel, type ModelSpec } from './spec.js';
import { createModel, inputShape, zooName } from './zoo.js';

/** Where weights come from: the bytes, a Blob or File, or a URL (a path or file: URL in Node). */
export type WeightsSource = Uint8Array | ArrayBuffer | Blob | URL | string;

async function readSource(source: WeightsSource, label: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob === 'function' && source instanceof Blob) {
    return new Uint8Array(await source.arrayBuffer());
  }
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let url: URL | null;
  try {
    url = new URL(String(source), base);
  } catch {
    url = null;
  }
  if (isNode && (!url || url.protocol === 'file:')) {
    const node = (await loadNodeRuntime())!;
    return node.readFileBytes(url ?? String(source)).catch((e: Error) => {
      throw new Error(`loadModel: ${label}: ${e.message}`);
    });
  }
  if (!url) throw new Error(`loadModel: ${label} is not a URL`);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`loadModel: could not fetch ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * A model in eval mode holding the weights of a safetensors file: one written by
 * `simdgrad train --save`, by `serializeSafetensors(model.stateDict())`, or a checkpoint (its
 * "model." tensors). `model` is the module to load them into (a custom class instance, strict
 * state-dict keys as PyTorch), or a zoo name; by default the file's metadata rebuilds it: its
 * "model" (a zoo name) or its "spec" (a model built from library layers, see `modelSpec`).
 *
 * @example
 * await init();
 * const model = await loadModel('/models/mnist-cnn.safetensors');         // fetched in a page
 * const probs = predict(model, pixels, { normalize: [MNIST_MEAN, MNIST_STD] }); // [n, 10]
 * const net = await loadModel('net.safetensors', new Net());              // a custom class
 */
export async function loadModel<M extends Module>(source: WeightsSource, model: M): Promise<M>;
export async function loadModel(source: WeightsSource, name?: string): Promise<Module>;
export async function loadModel(
  source: WeightsSource,
  modelOrName?: Module | string
): Promise<Module> {
  const label =
    typeof source === 'string' || source instanceof URL
      ? String(source)
      : typeof File === 'function' && source instanceof File
        ? source.name
        : 'weights';
  const { tensors, metadata } = parseSafetensors(await readSource(source, label), label);
  let model: Module;
  let what: string;
  if (modelOrName instanceof Module) {
    model = modelOrName;
    what = `the given ${model.constructor.name}`;
  } else if (modelOrName !== undefined || metadata.model) {
    const name = modelOrName ?? metadata.model;
    model = createModel(name);
    what = `'${name}'`;
  } else if (metadata.spec) {
    let spec: ModelSpec;
    try {
      spec = JSON.parse(metadata.spec) as ModelSpec;
    } catch (e) {
      throw new Error(`loadModel: ${label}: metadata "spec" is not JSON: ${(e as Error).message}`);
    }
    model = buildModel(spec);
    what = 'the model its "spec" describes';
  } else {
    throw new Error(
      `loadModel: ${label} names no model (no "model" or "spec" in its metadata); ` +
        'pass the module to load it into, e.g. loadModel(source, new Net()), or a zoo name, e.g. ' +
        "loadModel(source, 'small-cnn')"
    );
  }
  const prefixed = Object.keys(tensors).some((k) => k.startsWith('model.'));
  const sd: Record<string, LoadedTensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!prefixed) sd[k] = t;
    else if (k.startsWith('model.')) sd[k.slice(6)] = t;
  }
  try {
    model.loadStateDict(sd);
  } catch (e) {
    throw new Error(`loadModel: ${label} does not fit ${what}: ${(e as Error).message}`);
  }
  return model.eval();
}

export interface PredictOptions {
  /** `[mean, std]`: images become (x - mean) / std first, e.g. [MNIST_MEAN, MNIST_STD] for pixels
   * in [0, 1] given to a model trained by `simdgrad train`. */
  normalize?: readonly [number, number];
  /** The shape of one image (default: the zoo model's input, else [1, 28, 28]). */
  sampleShape?: readonly number[];
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /** Threads each kernel call may use during this call (see `setNumThreads`; default: the
   * current setting). Results are the same for every count. */
  threads?: number;
}

/**
 * Class probabilities (softmax of the logits) of n images, row-major [n, classes], computed in
 * eval mode without recording a graph. images: n * prod(sampleShape) values, NCHW.
 *
 * @example
 * const p = predict(model, canvasPixels);           // Float32Array(10)
 * const digit = p.indexOf(Math.max(...p));
 */
export function predict(
  model: Module,
  images: ArrayLike<number>,
  opts: PredictOptions = {}
): Float32Array {
  const name = zooName(model);
  const sampleShape = opts.sampleShape ?? (name ? inputShape(name) : [1, 28, 28]);
  const sample = sampleShape.reduce((a, b) => a * b, 1);
  const batchSize = opts.batchSize ?? 256;
  if (images.length === 0 || images.length % sample !== 0) {
    throw new Error(
      `predict: images.length (${images.length}) must be a positive multiple of ` +
        `prod(sampleShape [${sampleShape.join(', ')}]) = ${sample}`
    );
  }
  const n = images.length / sample;
  const x = Float32Array.from(images);
  if (opts.normalize) {
    const [mean, std] = opts.normalize;
    for (let i = 0; i < x.length; i++) x[i] = (x[i] - mean) / std;
  }
  const wasTraining = model.training;
  model.eval();
  const chunks: Float32Array[] = [];
  try {
    withNumThreads('predict', opts.threads ?? getNumThreads(), () =>
      noGrad(() => {
        for (let b = 0; b < n; b += batchSize) {
          const m = Math.min(batchSize, n - b);
          chunks.push(
            tidy(() =>
              model
                .forward(tensor(x.subarray(b * sample, (b + m) * sample), [m, ...sampleShape]))
                .toFloat32Array()
            )
          );
        }
      })
    );
  } finally {
    model.train(wasTraining);
  }
  const logits = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    logits.set(c, at);
    at += c.length;
  }
  const classes = logits.length / n;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(row[j] - max);
    for (let j = 0; j < classes; j++) row[j] = Math.exp(row[j] - max) / sum;
  }
  return logits;
}
