// ONNX Runtime Web (onnxruntime-web: its wasm SIMD build on the 'wasm' execution provider, one
// thread) as an inference peer of `simdgrad bench` (peer-rows.ts) and `--suite infer`: our own
// model, exported by exportOnnx at the row's batch, so both run the same weights; its output must
// equal ours (1e-3 relative to the largest) before it is timed. In Node it runs the .wasm a page
// runs. It cannot train (its training build was removed: microsoft/onnxruntime#22103).
// Test: test/bench/ort-web.test.ts.

import type * as OrtWeb from 'onnxruntime-web';
import { noGrad } from '../../src/autograd/tape.js';
import { exportOnnx } from '../../src/io/onnx.js';
import type { Module } from '../../src/nn/module.js';
import { tensor, tidy, type Tensor } from '../../src/tensor/tensor.js';
import { createModel } from '../../src/models/zoo.js';
import { manualSeed } from '../../src/tensor/random.js';
import { errorMessage, timeCall } from '../measure.js';
import {
  measured,
  type BenchOptions,
  type BenchReport,
  type PeerInfo,
  type PeerMeasured,
  type SizeConfig,
} from '../types.js';
import { isNotInstalled, NotInstalledError, type ImportFn } from './tfjs.js';
import type { Batch, Stepper } from './tfjs-models.js';

export const ORT_WEB_PACKAGE = 'onnxruntime-web';

/** Largest |ours - theirs| / max |ours| a peer row may show before it is timed. */
export const ORT_AGREEMENT = 1e-3;

export interface OrtWebInfo {
  version: string;
  /** Since 1.19 the package ships one wasm build for the 'wasm' provider: SIMD, threads
   * optional (microsoft/onnxruntime#25666); with numThreads 1 it starts no worker. */
  binary: string;
  threads: number;
}

let ort: typeof OrtWeb | undefined;

/** Imports onnxruntime-web (NotInstalledError when absent) and sets it to one thread, SIMD on;
 * numThreads is read when its wasm starts, so this runs before any session. */
export async function loadOrtWeb(importModule?: ImportFn): Promise<OrtWebInfo> {
  if (!ort || importModule) {
    let m: typeof OrtWeb;
    try {
      m = (await (importModule ?? ((s) => import(/* @vite-ignore */ s)))(
        ORT_WEB_PACKAGE
      )) as typeof OrtWeb;
    } catch (e) {
      if (isNotInstalled(e)) throw new NotInstalledError(ORT_WEB_PACKAGE, e);
      throw e;
    }
    m.env.wasm.numThreads = 1;
    m.env.wasm.simd = true;
    m.env.wasm.proxy = false;
    ort = m;
  }
  return {
    version: ort.env.versions?.web ?? 'unknown',
    binary: 'ort-wasm-simd-threaded.wasm',
    threads: ort.env.wasm.numThreads ?? 1,
  };
}

/** An exported model in an ORT Web session at one input shape. */
export interface OrtModel {
  /** Runs x (the input's shape) and returns the first output. */
  run(x: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Exports model (eval mode) at shape with a static batch and opens an ORT Web session on it. */
export async function ortModel(model: Module, shape: readonly number[]): Promise<OrtModel> {
  if (!ort) throw new Error('ort-web peer: call loadOrtWeb() first');
  const o = ort;
  model.eval();
  const bytes = noGrad(() =>
    tidy(() =>
      exportOnnx(model, tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), [...shape]), {
        dynamicBatch: false,
      })
    )
  );
  const session = await o.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  return {
    async run(x) {
      const r = await session.run({ [input]: new o.Tensor('float32', x, [...shape]) });
      const y = r[output];
      const data = y.data as Float32Array;
      y.dispose();
      return data;
    },
    release: () => session.release(),
  };
}

/** max |got - want| / max |want| (Infinity for another length or a NaN). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err / Math.max(scale, 1e-30);
}

/** Our eval output for x at shape (a copy). */
export function oursOutput(model: Module, x: Float32Array, shape: readonly number[]): Float32Array {
  model.eval();
  return noGrad(() =>
    tidy(() => (model.forward(tensor(x, [...shape])) as Tensor).toFloat32Array())
  );
}

/** Throws unless ORT Web's output for x is ours within ORT_AGREEMENT; returns the error. */
export async function checkAgreement(
  model: Module,
  m: OrtModel,
  x: Float32Array,
  shape: readonly number[]
): Promise<number> {
  const err = relativeError(await m.run(x), oursOutput(model, x, shape));
  if (!(err <= ORT_AGREEMENT)) {
    throw new Error(
      `ort-web output differs from ours: max error ${err.toExponential(2)} of the ` +
        `largest output > ${ORT_AGREEMENT} (input [${shape.join(',')}])`
    );
  }
  return err;
}

/** A checked ORT Web inference step on model at shape over the inputs in turn; the agreement
 * error found is in `agreement`. */
export async function ortStepper(
  model: Module,
  shape: readonly number[],
  inputs: readonly Float32Array[]
): Promise<Stepper & { agreement: number }> {
  let m: OrtModel;
  try {
    m = await ortModel(model, shape);
  } catch (e) {
    throw new Error(`ort-web: ${errorMessage(e)}`, { cause: e });
  }
  try {
    const agreement = await checkAgreement(model, m, inputs[0], shape);
    let i = 0;
    return {
      params: model.numParameters(),
      agreement,
      dispose: () => m.release(),
      step: async () => {
        await m.run(inputs[i++ % inputs.length]);
      },
    };
  } catch (e) {
    await m.release();
    throw e;
  }
}

/**
 * The ort-web entries of report (peer-rows.ts calls it): each infer row timed on our model
 * exported at the row's batch and checked first; train rows and kernel rows 'missing'.
 */
export async function runOrtWebPeer(
  report: BenchReport,
  cfg: SizeConfig,
  batches: Batch[],
  opts: BenchOptions,
  progress: (msg: string) => void
): Promise<PeerInfo> {
  const peer = 'ort-web';
  let info: OrtWebInfo;
  try {
    info = await loadOrtWeb(opts.importModule);
  } catch (e) {
    const status = e instanceof NotInstalledError ? 'not installed' : 'unavailable';
    for (const row of [...report.kernels, ...report.models]) {
      row.peers.push({ peer, status, note: errorMessage(e) });
    }
    return { name: peer, status, detail: errorMessage(e) };
  }
  for (const row of report.kernels) {
    row.peers.push({
      peer,
      status: 'missing',
      note: 'ONNX Runtime Web is timed on whole models ' + 'only',
    });
  }
  for (const row of report.models.filter((r) => r.mode === 'train')) {
    row.peers.push({
      peer,
      status: 'missing',
      note:
        'ONNX Runtime Web cannot train (its ' +
        'training build was removed: microsoft/onnxruntime#22103)',
    });
  }
  for (const model of report.config.models) {
    const rows = report.models.filter((r) => r.model === model && r.mode === 'infer');
    if (rows.length === 0) continue;
    progress(`${peer} ${model} infer`);
    let entry: PeerMeasured;
    let s: Awaited<ReturnType<typeof ortStepper>> | undefined;
    try {
      manualSeed(1);
      const net = createModel(model);
      s = await ortStepper(
        net,
        [cfg.batch, 1, 28, 28],
        batches.map((b) => b.x)
      );
      const { timing, note } = await timeCall(
        `${peer} ${model} infer`,
        s.step,
        cfg.modelPlan,
        true
      );
      entry = {
        peer,
        status: 'ok',
        ...measured(cfg.batch / (timing.medianMs / 1000), timing),
        note: [`output within ${s.agreement.toExponential(1)} of ours`, note]
          .filter(Boolean)
          .join('; '),
      };
      net.dispose();
    } catch (e) {
      entry = { peer, status: 'error', note: errorMessage(e) };
    } finally {
      await s?.dispose();
    }
    for (const r of rows) r.peers.push({ ...entry });
  }
  return {
    name: peer,
    status: 'ok',
    version: info.version,
    detail: `${info.binary}, ${info.threads} thread, our ONNX export`,
  };
}
