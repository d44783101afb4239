// The peer side of `simdgrad bench` (bench/report.ts): load a TF.js backend (or record that
// it is not installed), run the report's kernel cases and model rows on it, and add one entry
// per row (torch and ort-web: peers/torch.ts, peers/ort-web.ts). tfjs-wasm gets the JS
// Conv2DBackpropFilter of tfjs-fill.ts before its training rows.
// In a page the peers are not run (loading them reads Node's file system): "unavailable".

import { isNode } from '../src/runtime/features.js';
import { runTfjsKernel } from './kernel-timing.js';
import { errorMessage } from './measure.js';
import { timePeerModel, type Batch, type ModelMode, type Stepper } from './models.js';
import { checkFilledKernels, fillWasmKernels } from './peers/tfjs-fill.js';
import { runOrtWebPeer } from './peers/ort-web.js';
import { runTorchPeer } from './peers/torch.js';
import { tfInference, tfTrainer, withFillStats } from './peers/tfjs-models.js';
import {
  isNotInstalled,
  loadTfjs,
  NotInstalledError,
  useBackend,
  type TfBackend,
} from './peers/tfjs.js';
import {
  kernelValue,
  measured,
  type BenchOptions,
  type BenchReport,
  type PeerInfo,
  type PeerMeasured,
  type PeerName,
  type PeerStatus,
  type SizeConfig,
} from './types.js';

const NOT_IN_BROWSER = 'not available in the browser (npx simdgrad bench runs it in Node)';

function markAll(report: BenchReport, peer: PeerName, status: PeerStatus, note?: string): void {
  for (const row of [...report.kernels, ...report.models]) row.peers.push({ peer, status, note });
}

/** Runs every row of report on peer and returns how the peer ran. */
export async function runPeer(
  peer: PeerName,
  report: BenchReport,
  cfg: SizeConfig,
  batches: Batch[],
  opts: BenchOptions,
  progress: (msg: string) => void
): Promise<PeerInfo> {
  if (!isNode) {
    markAll(report, peer, 'unavailable', NOT_IN_BROWSER);
    return { name: peer, status: 'unavailable', detail: NOT_IN_BROWSER };
  }
  if (peer === 'torch' || peer === 'torch-128') {
    return runTorchPeer(peer, report, cfg, batches, progress);
  }
  if (peer === 'ort-web') return runOrtWebPeer(report, cfg, batches, opts, progress);
  const backend: TfBackend = peer === 'tfjs-wasm' ? 'wasm' : 'cpu';
  let version: string;
  let detail: string;
  try {
    const info = await loadTfjs({ wasm: backend === 'wasm', importModule: opts.importModule });
    version = info.version;
    if (backend === 'wasm' && !info.wasm.ok) {
      const status = info.wasm.notInstalled ? 'not installed' : 'unavailable';
      markAll(report, peer, status, info.wasm.error);
      return { name: peer, status, version, detail: info.wasm.error };
    }
    detail =
      backend === 'wasm'
        ? `${info.wasm.binary}, ${info.wasm.threads} thread` +
          `${info.wasm.threads === 1 ? '' : 's'}`
        : 'plain JavaScript';
  } catch (e) {
    const status = e instanceof NotInstalledError || isNotInstalled(e) ? 'not installed' : 'error';
    markAll(report, peer, status, errorMessage(e));
    return { name: peer, status, detail: errorMessage(e) };
  }
  for (const [i, c] of cfg.cases.entries()) {
    const r = await runTfjsKernel(backend, c, cfg.kernelPlan, progress);
    const v = kernelValue(r);
    report.kernels[i].peers.push(
      r.status === 'ok' && r.timing && v !== undefined
        ? { peer, status: 'ok', ...measured(v, r.timing), note: r.note }
        : { peer, status: r.status === 'missing' ? 'missing' : 'error', note: r.note }
    );
  }
  let fillError: string | undefined;
  if (backend === 'wasm') {
    const filled = fillWasmKernels();
    const bad = filled.length > 0 ? (await checkFilledKernels()).filter((c) => !c.pass) : [];
    if (bad.length > 0) fillError = `filled Conv2DBackpropFilter failed its check: ${bad[0].label}`;
    if (filled.length > 0) {
      report.notes.push(
        'tfjs-wasm has no Conv2DBackpropFilter kernel (tensorflow/tfjs#8474): to ' +
          'train a conv net at all it gets a plain-JavaScript one (bench/peers/tfjs-fill.ts, ' +
          'checked against tfjs-cpu), whose time counts against tfjs-wasm'
      );
    }
  }
  for (const model of report.config.models) {
    for (const mode of ['train', 'infer'] as const) {
      const rows = report.models.filter((r) => r.model === model && r.mode === mode);
      let entry: PeerMeasured;
      if (fillError && mode === 'train') {
        entry = { peer, status: 'error', note: fillError };
      } else {
        entry = await timePeerRow(peer, backend, model, mode, cfg, batches, progress);
      }
      for (const r of rows) r.peers.push({ ...entry });
    }
  }
  return { name: peer, status: 'ok', version, detail };
}

async function timePeerRow(
  peer: PeerName,
  backend: TfBackend,
  model: string,
  mode: ModelMode,
  cfg: SizeConfig,
  batches: Batch[],
  progress: (msg: string) => void
): Promise<PeerMeasured> {
  progress(`${peer} ${model} ${mode}`);
  try {
    await useBackend(backend);
    let stats: ReturnType<typeof withFillStats>['stats'] | undefined;
    const make = (b: number): Stepper => {
      if (mode === 'infer') return tfInference(model, b, batches);
      if (backend !== 'wasm') return tfTrainer(model, b, batches);
      const s = withFillStats(tfTrainer(model, b, batches));
      stats = s.stats;
      return s;
    };
    const m = await timePeerModel(
      `${peer} ${model} ${mode}`,
      make,
      cfg.batch,
      cfg.modelPlan,
      cfg.peerCapMs
    );
    const notes = [m.note ?? ''];
    const st = stats?.(m.timing.samples);
    if (st && st.filledMs > 0) {
      notes.push(`${st.filledMs.toFixed(0)} ms of each step in the filled JS Conv2DBackpropFilter`);
    }
    return {
      peer,
      status: 'ok',
      ...measured(m.imagesPerSecond, m.timing),
      timedBatch: m.timedBatch < cfg.batch ? m.timedBatch : undefined,
      note: notes.filter(Boolean).join('; ') || undefined,
    };
  } catch (e) {
    return { peer, status: 'error', note: errorMessage(e) };
  }
}
