// simdgrad's public API: PyTorch's names and conventions (NCHW, OIHW, F.conv2d, nn.Sequential,
// optim.Adam, loss.backward()) over WebAssembly SIMD kernels. Nothing on this module's import
// graph needs Node: a page imports dist/src/index.js as it is (the demo in web/ does), and a
// bundler building for a browser gets no Node code (`#node/*` in package.json, see
// runtime/platform.ts). Tests: test/bundlers/ (Vite, esbuild, webpack in Chromium).
//
//   import { init, tensor, F, nn, optim } from 'simdgrad';
//   await init();
//   const model = new nn.Sequential(new nn.Conv2d(1, 8, 3), new nn.ReLU(), new nn.Flatten(),
//     new nn.Linear(8 * 26 * 26, 10));

/**
 * PyTorch's names in camelCase over WebAssembly SIMD kernels: tensors and autograd, `F`, `nn`,
 * `optim`, `data`, the model zoo, the Trainer and data-parallel training.
 * @module simdgrad
 */

import './autograd/tape.js';
import {
  createRuntime,
  type BuildName,
  type InitOptions as RuntimeOptions,
  type Runtime,
  type WasmSource,
} from './runtime/load.js';
import { setDefaultWorkerUrl } from './parallel/worker-url.js';
import { getRuntime, setRuntime } from './tensor/tensor.js';
import { threadsReady as threadsReadyOf } from './runtime/threads.js';

export {
  Tensor,
  tensor,
  zeros,
  ones,
  full,
  tidy,
  memory,
  collectGarbage,
  type NestedArray,
} from './tensor/tensor.js';
export { randn, rand } from './tensor/factories.js';
export { manualSeed } from './tensor/random.js';
export { noGrad } from './autograd/tape.js';
export { gradcheck } from './autograd/gradcheck.js';
export * as F from './nn/functional.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export { createModel, models, zooName, type ImageClassifier } from './models/zoo.js';
export * as torchvision from './models/torchvision.js';
export { modelSpec, buildModel, type ModelSpec } from './models/spec.js';
export { loadModel, predict, type PredictOptions, type WeightsSource } from './models/inference.js';
export {
  Trainer,
  evaluate,
  type TrainerOptions,
  type EpochRecord,
  type StepRecord,
  type StepResult,
  type EvalResult,
  type EvaluateOptions,
  type LossFunction,
  type MetricFunction,
} from './train/trainer.js';
export * as metrics from './train/metrics.js';
export { DataLoader } from './data/loader.js';
export {
  datasetFromIdx,
  normalize,
  MNIST_MEAN,
  MNIST_STD,
  type ImageDataset,
} from './data/dataset.js';
export {
  parseSafetensors,
  serializeSafetensors,
  type SafetensorsDtype,
  type LoadedTensor,
  type TensorData,
} from './io/safetensors.js';
export { exportOnnx, type ExportOnnxOptions } from './io/onnx.js';
export { DataParallel, type DataParallelOptions } from './parallel/data-parallel.js';
export type { ExportRef, ReplicaOptions } from './parallel/pool.js';
export { WebWorkerPool } from './parallel/web-pool.js';
export { availableThreads, canShareMemory, sharedMemoryProblem } from './runtime/features.js';
export { getNumThreads, setNumThreads } from './runtime/threads.js';
export type { BuildName, Runtime, WasmSource };
// Types the functions and options above name, exported for callers and the API reference.
export type { GradcheckOptions, GradcheckReport } from './autograd/gradcheck.js';
export type { FloatDtype, IntDtype, SafetensorsContents } from './io/safetensors.js';
export type { ModuleSpec, SpecValue } from './nn/spec.js';
export type { Schedule, ScheduleName } from './optim/schedule.js';
export type { Out } from './train/trainer.js';
export type { CreatePool, ParallelResult, StepTiming } from './parallel/data-parallel.js';
export type { FunctionSource, ModelSource, WorkerInit, WorkerPool } from './parallel/pool.js';
export type { WebWorkerPoolOptions } from './parallel/web-pool.js';

export interface InitOptions extends RuntimeOptions {
  /** Where the Web Worker entry (`simdgrad/web-worker`) is, for data-parallel training in a
   * page. Default: web-worker.js beside the library, which Vite and webpack bundle as a
   * worker; an app built by esbuild builds that entry itself and gives its URL here. */
  workerUrl?: string | URL;
}

/**
 * Loads the Wasm kernels (the relaxed-SIMD build where the engine validates it) and makes them
 * the runtime for every tensor. Returns which build loaded. Calling it again is a no-op unless
 * options are given.
 */
export async function init(opts?: InitOptions): Promise<{ build: BuildName }> {
  const { workerUrl, ...kernels } = opts ?? {};
  if (workerUrl !== undefined) setDefaultWorkerUrl(workerUrl);
  let rt: Runtime | null = null;
  try {
    rt = getRuntime();
  } catch {
    rt = null;
  }
  if (!rt || Object.keys(kernels).length > 0) {
    rt = await createRuntime(kernels);
    setRuntime(rt);
  }
  return { build: rt.build };
}

/**
 * Starts the helper threads of setNumThreads(n) for the runtime (when they are not running) and
 * resolves once kernel calls use them, with how many threads a call may use (1 where kernels run
 * on one thread: n is 1, or a page is not cross-origin isolated). In a page the helpers are Web
 * Workers that start asynchronously, and kernels run on one thread until this resolves; in Node
 * they are ready at once. Rejects (and kernels run on one thread) when a helper cannot start.
 *
 * @example
 * setNumThreads(2);
 * await threadsReady();   // 2 in a cross-origin isolated page
 */
export function threadsReady(): Promise<number> {
  return threadsReadyOf(getRuntime());
}

/** The loaded runtime (kernels, heap, build name). */
export function runtime(): Runtime {
  return getRuntime();
}
