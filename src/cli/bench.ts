// `simdgrad bench`: the CPU throughput report of src/bench/report.ts on this machine, progress
// on stderr, the table on stdout, optionally JSON and an SVG chart. Peers (TF.js) are imported
// only when --peers names them; one that is not installed is reported as such.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatReport } from '../bench/format.js';
import { BENCH_MODELS, PEERS, runBench, type PeerName } from '../bench/report.js';
import { renderSvg } from '../bench/svg.js';
import { models as zoo } from '../models/zoo.js';
import { UsageError, type ArgSpec } from './args.js';

export const BENCH_SPEC: Record<string, ArgSpec> = {
  quick: { type: 'boolean',
    help: 'fewer samples, conv/pool at batch 16, no GEMM 1024^3 (under a minute on 2 cores)' },
  workers: { type: 'string', help: 'worker counts for the model rows, comma-separated, e.g. ' +
    '1,2,4 (default: 1 and the available parallelism)' },
  peers: { type: 'string', help: `also run the same work on these, comma-separated: ` +
    `${PEERS.join(', ')} (default: none; a peer not installed is reported so: npm install ` +
    '@tensorflow/tfjs @tensorflow/tfjs-backend-wasm; torch, torch-128: python3 with PyTorch, ' +
    'one thread, full vector width or 128-bit)' },
  models: { type: 'string', help: 'models for the images/s rows, comma-separated (default: ' +
    `${BENCH_MODELS.join(',')})` },
  build: { type: 'string', help: 'kernel build of the kernel and model rows: auto, simd128, ' +
    'relaxed (the peak is measured for every build the engine runs)', default: 'auto',
  choices: ['auto', 'simd128', 'relaxed'] },
  json: { type: 'string',
    help: 'write the report as JSON to this file (fields: README, "Benchmark your machine")' },
  svg: { type: 'string', help: 'write a bar chart of the report to this SVG file' },
};

const WHO = 'simdgrad bench';

function list(o: Record<string, unknown>, name: string): string[] | undefined {
  const raw = o[name] as string | undefined;
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) {
    throw new UsageError(`${WHO}: --${name} needs at least one value; got '${raw}'`);
  }
  return items;
}

/** Checks the list options and turns them into runBench options. */
export function benchOptions(o: Record<string, unknown>): {
  workers?: number[]; peers?: PeerName[]; models?: string[];
} {
  const workers = list(o, 'workers')?.map((w) => {
    const v = Number(w);
    if (!Number.isInteger(v) || v < 1 || v > 256) {
      throw new UsageError(`${WHO}: --workers: '${w}' is not a worker count (an integer 1..256)`);
    }
    return v;
  });
  const peers = list(o, 'peers')?.map((p) => {
    if (!(PEERS as readonly string[]).includes(p)) {
      throw new UsageError(`${WHO}: --peers: unknown peer '${p}'; known: ${PEERS.join(', ')}`);
    }
    return p as PeerName;
  });
  const models = list(o, 'models')?.map((m) => {
    if (!(BENCH_MODELS as readonly string[]).includes(m)) {
      const why = m in zoo ? 'has no convolution to measure' : 'is not a zoo model';
      throw new UsageError(`${WHO}: --models: '${m}' ${why}; known: ${BENCH_MODELS.join(', ')}`);
    }
    return m;
  });
  return { workers, peers, models };
}

async function write(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

export async function benchCommand(o: Record<string, unknown>): Promise<void> {
  const lists = benchOptions(o);
  const err = process.stderr;
  const t0 = performance.now();
  const report = await runBench({
    ...lists,
    quick: o.quick === true,
    build: o.build as 'auto' | 'simd128' | 'relaxed',
    progress: (msg) => {
      err.write(`  [${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);
    },
  });
  process.stdout.write(`\n${formatReport(report)}`);
  if (o.json) {
    await write(o.json as string, `${JSON.stringify(report, null, 2)}\n`);
    err.write(`wrote ${o.json as string}\n`);
  }
  if (o.svg) {
    await write(o.svg as string, renderSvg(report));
    err.write(`wrote ${o.svg as string}\n`);
  }
}
