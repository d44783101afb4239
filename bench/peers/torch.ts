// Native PyTorch as a peer of the model rows (issue 16, target 1): the same small CNN / LeNet-5,
// Adam lr 1e-3, cross-entropy, dropout on, on the same MNIST batches, in a `python3` process on
// one thread (torch.set_num_threads(1), OMP/OpenBLAS capped), glibc malloc tuned so it is not
// handicapped (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_). Two flavours: 'full' (oneDNN on
// the machine's widest vectors) and 'sse41' (ONEDNN_MAX_CPU_ISA=SSE41: 128-bit, the width Wasm
// SIMD has). Debian's torch links the system BLAS: with libopenblas0-pthread installed that is
// OpenBLAS. Reported 'not installed' without python3 or torch. Node only. Used by bench/torch.ts
// and `simdgrad bench --peers torch,torch-128` (peer-rows.ts); test: test/bench/torch.test.ts.

import { errorMessage, spread, summarize, type Budget } from '../measure.js';
import type {
  BenchReport,
  Measured,
  PeerInfo,
  PeerMeasured,
  PeerName,
  SizeConfig,
} from '../types.js';
import type { Batch } from './tfjs-models.js';

export type TorchIsa = 'full' | 'sse41';

/** One model row for PyTorch to time. */
export interface TorchJob {
  model: string;
  mode: 'train' | 'infer';
  batch: number;
}

export interface TorchRow extends TorchJob {
  status: 'ok' | 'missing' | 'error';
  /** Milliseconds of each timed call. */
  samplesMs?: number[];
  note?: string;
}

export interface TorchRun {
  status: 'ok' | 'not installed' | 'error';
  /** torch's version, the BLAS it calls, oneDNN's ISA line, threads. */
  version?: string;
  blas?: string;
  isa?: string;
  detail?: string;
  rows: TorchRow[];
}

export interface TorchOptions {
  /** The interpreter (default: SIMDGRAD_PYTHON, else the first of python3 and /usr/bin/python3
   * that imports torch: a pyenv or venv python3 first on the PATH often has no torch). */
  python?: string;
  /** Whole run's limit (default 10 minutes). */
  timeoutMs?: number;
}

/** The PyTorch side: reads the job, times each row, writes the result as JSON. */
const SCRIPT = String.raw`
import json, sys, time
job = json.load(open(sys.argv[1]))
def emit(obj):
    with open(sys.argv[2], 'w') as f:
        json.dump(obj, f)
try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:
    emit({'status': 'not installed', 'detail': '%s: %s' % (type(e).__name__, e)})
    sys.exit(0)
torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
# the first oneDNN primitive prints its ISA line (ONEDNN_VERBOSE=1 from the caller), then quiet
torch.nn.functional.conv2d(torch.randn(2, 3, 8, 8), torch.randn(4, 3, 3, 3))
try:
    torch._C._verbose.mkldnn_set_verbose(0)
except Exception:
    pass
print('', flush=True)

def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(128, 10))

def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120),
        nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

MODELS = {'small-cnn': small_cnn, 'lenet5': lenet5}
count, size = job['count'], job['batch']
xs = torch.frombuffer(bytearray(open(job['x'], 'rb').read()), dtype=torch.float32)
ys = torch.frombuffer(bytearray(open(job['y'], 'rb').read()), dtype=torch.int32).long()
xs = xs.reshape(count, size, 1, 28, 28)
ys = ys.reshape(count, size)
b = job['budget']

def time_row(row):
    if row['model'] not in MODELS:
        return {'status': 'missing', 'note': 'no PyTorch definition of %s here' % row['model']}
    torch.manual_seed(1)
    model = MODELS[row['model']]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = row['batch']
    train = row['mode'] == 'train'
    model.train(train)
    state = {'i': 0}
    def call():
        i = state['i'] % count
        state['i'] += 1
        x, y = xs[i, :n].contiguous(), ys[i, :n].contiguous()
        if train:
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        else:
            with torch.no_grad():
                out = model(x)
                F.cross_entropy(out, y).item()
                (out.argmax(1) == y).sum().item()
    t0 = time.perf_counter()
    done = 0
    while done < b['warmupIterations'] or (time.perf_counter() - t0) * 1000 < b['warmupMs']:
        call()
        done += 1
    samples = []
    t0 = time.perf_counter()
    while True:
        s = time.perf_counter()
        call()
        samples.append((time.perf_counter() - s) * 1000)
        spent = (time.perf_counter() - t0) * 1000
        if (len(samples) >= b['iterations'] and spent >= b['timeMs']) or spent >= b['maxMs']:
            break
    return {'status': 'ok', 'samplesMs': samples}

rows = []
for row in job['rows']:
    try:
        rows.append(dict(row, **time_row(row)))
    except Exception as e:
        rows.append(dict(row, status='error', note='%s: %s' % (type(e).__name__, e)))
config = torch.__config__.show()
blas = [p.split('=', 1)[1] for p in config.replace(',', ' ').split() if p.startswith('BLAS_INFO=')]
blas = blas[0] if blas else 'unknown'
try:
    maps = open('/proc/self/maps').read()
    for name, lib in (('OpenBLAS', 'openblas'), ('BLIS', 'blis'), ('MKL', 'libmkl'),
            ('reference BLAS', '/libblas.so')):
        if lib in maps:
            blas = '%s (%s)' % (name, blas)
            break
except OSError:
    pass
emit({'status': 'ok', 'version': torch.__version__, 'blas': blas,
    'threads': torch.get_num_threads(), 'rows': rows})
`;

/** The environment PyTorch runs in: one thread everywhere, malloc tuned, ISA capped. */
function torchEnv(isa: TorchIsa): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    OMP_NUM_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    MALLOC_MMAP_THRESHOLD_: '33554432',
    MALLOC_TRIM_THRESHOLD_: '68719476736',
    ONEDNN_VERBOSE: '1',
  });
  delete env.ONEDNN_MAX_CPU_ISA;
  delete env.DNNL_MAX_CPU_ISA;
  if (isa === 'sse41') {
    env.ONEDNN_MAX_CPU_ISA = 'SSE41';
    env.DNNL_MAX_CPU_ISA = 'SSE41';
  }
  return env;
}

/**
 * Times rows on PyTorch over batches (each at least the largest row's batch) under budget
 * (maxMs: a row stops after this much timing even short of its iterations).
 *
 * @example
 * const r = await runTorch([{ model: 'small-cnn', mode: 'train', batch: 64 }], batches,
 *   { ...budget(2000, 10, 500, 3), maxMs: 20000 }, 'sse41');
 */
export async function runTorch(
  rows: TorchJob[],
  batches: Batch[],
  plan: Budget & { maxMs: number },
  isa: TorchIsa,
  opts: TorchOptions = {}
): Promise<TorchRun> {
  const given = opts.python ?? process.env.SIMDGRAD_PYTHON;
  const candidates = given ? [given] : ['python3', '/usr/bin/python3'];
  let last: TorchRun = { status: 'not installed', detail: 'no python3', rows: [] };
  for (const python of candidates) {
    last = await runWith(python, rows, batches, plan, isa, opts.timeoutMs ?? 600_000);
    if (last.status !== 'not installed') return last;
  }
  return candidates.length > 1
    ? { ...last, detail: `${candidates.join(', ')}: ${last.detail}` }
    : last;
}

async function runWith(
  python: string,
  rows: TorchJob[],
  batches: Batch[],
  plan: Budget & { maxMs: number },
  isa: TorchIsa,
  timeoutMs: number
): Promise<TorchRun> {
  const [{ spawn }, fs, os, path] = await Promise.all([
    import(/* @vite-ignore */ 'node:child_process'),
    import(/* @vite-ignore */ 'node:fs/promises'),
    import(/* @vite-ignore */ 'node:os'),
    import(/* @vite-ignore */ 'node:path'),
  ]);
  const size = Math.max(...rows.map((r) => r.batch));
  const usable = batches.filter((b) => b.y.length >= size);
  if (usable.length === 0) throw new RangeError(`torch: no batch holds ${size} images`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'simdgrad-torch-'));
  try {
    const x = new Float32Array(usable.length * size * 784);
    const y = new Int32Array(usable.length * size);
    usable.forEach((b, i) => {
      x.set(b.x.subarray(0, size * 784), i * size * 784);
      y.set(b.y.subarray(0, size), i * size);
    });
    const files = {
      job: path.join(dir, 'job.json'),
      out: path.join(dir, 'out.json'),
      x: path.join(dir, 'x.bin'),
      y: path.join(dir, 'y.bin'),
    };
    await fs.writeFile(files.x, new Uint8Array(x.buffer));
    await fs.writeFile(files.y, new Uint8Array(y.buffer));
    await fs.writeFile(
      files.job,
      JSON.stringify({
        rows,
        count: usable.length,
        batch: size,
        x: files.x,
        y: files.y,
        budget: plan,
      })
    );
    const run = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
      missing: boolean;
    }>((resolve) => {
      const child = spawn(python, ['-c', SCRIPT, files.job, files.out], {
        env: torchEnv(isa),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        if (stdout.length < 65536) stdout += d;
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d).slice(-4000);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr: e.message, missing: e.code === 'ENOENT' });
      });
      child.on('close', (code: number | null) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, missing: false });
      });
    });
    if (run.missing) {
      return { status: 'not installed', detail: `${python} not found`, rows: [] };
    }
    let out: TorchRun;
    try {
      out = JSON.parse(await fs.readFile(files.out, 'utf8')) as TorchRun;
    } catch {
      const why = run.code === null ? `killed after ${timeoutMs} ms` : `exit code ${run.code}`;
      return {
        status: 'error',
        detail:
          `${python} gave no result (${why}): ` +
          `${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        rows: [],
      };
    }
    const isaLine = /onednn_verbose,info,cpu,isa:([^\n]*)/.exec(run.stdout);
    return { ...out, rows: out.rows ?? [], isa: isaLine?.[1]?.trim() };
  } catch (e) {
    return { status: 'error', detail: errorMessage(e), rows: [] };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The `simdgrad bench` peers this file provides: full ISA, and capped at 128-bit vectors. */
export const TORCH_PEERS = { torch: 'full', 'torch-128': 'sse41' } as const;

/**
 * A torch peer's entries in report (peer-rows.ts calls it for 'torch' and 'torch-128'): every
 * model row (train and infer, one thread, the row's batch), each kernel row 'missing' (PyTorch is
 * timed on whole steps only).
 */
export async function runTorchPeer(
  peer: PeerName & keyof typeof TORCH_PEERS,
  report: BenchReport,
  cfg: SizeConfig,
  batches: Batch[],
  progress: (msg: string) => void
): Promise<PeerInfo> {
  const isa = TORCH_PEERS[peer];
  progress(`${peer}: PyTorch in python3, one thread${isa === 'sse41' ? ', 128-bit vectors' : ''}`);
  const jobs: TorchJob[] = [];
  for (const model of report.config.models) {
    for (const mode of ['train', 'infer'] as const) jobs.push({ model, mode, batch: cfg.batch });
  }
  const b = cfg.modelPlan.base;
  const run = await runTorch(
    jobs,
    batches,
    { ...b, maxMs: Math.max(cfg.peerCapMs, b.timeMs) },
    isa
  );
  for (const row of report.kernels) {
    row.peers.push({ peer, status: 'missing', note: 'PyTorch is timed on whole model steps only' });
  }
  if (run.status !== 'ok') {
    for (const row of report.models) row.peers.push({ peer, status: run.status, note: run.detail });
    return { name: peer, status: run.status, detail: run.detail };
  }
  for (const row of report.models) {
    const r = run.rows.find((x) => x.model === row.model && x.mode === row.mode);
    let entry: PeerMeasured;
    if (r?.status !== 'ok' || !r.samplesMs?.length) {
      entry = {
        peer,
        status: r?.status === 'missing' ? 'missing' : 'error',
        note: r?.note ?? 'not run',
      };
    } else {
      const timing = summarize(r.samplesMs);
      const m: Measured = {
        value: r.batch / (timing.medianMs / 1000),
        spread: spread(timing),
        timing,
      };
      entry = { peer, status: 'ok', ...m };
    }
    row.peers.push(entry);
  }
  return {
    name: peer,
    status: 'ok',
    version: run.version,
    detail: `one thread; BLAS ${run.blas}; oneDNN ISA ${run.isa ?? 'unknown'}`,
  };
}
