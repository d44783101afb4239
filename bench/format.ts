// The text form of a BenchReport (what `simdgrad bench` prints): a header with the machine,
// engine, build and peers, then the peak, kernel, model and intra-op threads tables with spreads
// and ratios, then
// the notes a reader needs to read them.

import { describeMachine } from './machine.js';
import type { BenchReport, PeerMeasured, PeerName } from './types.js';

/** A number with about three significant figures. */
export function fmtValue(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export function fmtRatio(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}x`;
}

export function fmtPercent(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : `${(100 * v).toFixed(0)}%`;
}

/** A spread: one decimal below 10%, where a quiet machine's spreads are. */
export function fmtSpread(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`;
}

/** Columns padded to their widest cell: the first `left` left-aligned, the rest right. */
export function textTable(rows: string[][], left = 1): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd()
    )
    .join('\n');
}

function peerCells(peers: readonly PeerName[], entries: PeerMeasured[]): string[] {
  const out: string[] = [];
  for (const name of peers) {
    const p = entries.find((e) => e.peer === name);
    if (!p) out.push('', '');
    else if (p.status !== 'ok') out.push(p.status, '');
    else out.push(`${fmtValue(p.value)}${p.timedBatch ? '*' : ''}`, fmtRatio(p.ratio));
  }
  return out;
}

function header(r: BenchReport): string[] {
  const m = r.machine;
  const peers = r.peers
    .map((p) => `${p.name} ${p.status === 'ok' ? `${p.version} (${p.detail})` : p.status}`)
    .join('; ');
  return [
    `simdgrad bench${r.config.size === 'full' ? '' : ` (${r.config.size})`}, ` +
      `${r.startedAt}, ${r.seconds} s`,
    `machine  ${describeMachine(m)}`,
    `engine   ${m.engine}, ${m.platform}`,
    `build    ${r.build.used} (${r.build.file}; this engine runs ` +
      `${r.build.available.join(', ')}); ` +
      'kernel and model rows run on it',
    `peers    ${peers || 'none (--peers tfjs-wasm,tfjs-cpu adds TensorFlow.js)'}`,
    `data     ${r.config.data === 'mnist' ? 'real MNIST' : 'synthetic'} batches of ` +
      `${r.config.batch} images`,
  ];
}

/** What the kernel rows' short labels stand for. */
function kernelFootnotes(r: BenchReport): string[] {
  const find = (p: (row: BenchReport['kernels'][number]) => boolean): string | undefined =>
    r.kernels.find(p)?.shape;
  const lines: string[] = [];
  const conv = find((row) => row.id.startsWith('conv2.'));
  const pool = find((row) => row.kind === 'pool');
  const dw = find((row) => row.id.startsWith('conv.dw'));
  if (conv) {
    lines.push(
      `conv2 = small-cnn's second conv layer, ${conv}` +
        `${pool ? `; max pool 2x2 stride 2 on ${pool}` : ''}`
    );
  }
  if (dw) lines.push(`dw3x3 = depthwise conv 3x3 s1 p1 (groups = channels, MobileNet's), ${dw}`);
  const convT = find((row) => row.id.startsWith('convT.'));
  if (convT) {
    lines.push(
      `convT = F.convTranspose2d ${convT} (DCGAN): fwd runs the conv backward-input ` +
        'kernel, bwd_input the conv forward, bwd_weight the conv backward-weight'
    );
  }
  const add = find((row) => row.id === 'eltwise.add_bcast');
  const softmax = find((row) => row.id === 'eltwise.softmax');
  if (add && softmax) {
    lines.push(
      `add: ${add} + b[C,1,1]; softmax over the last dim of ${softmax}; sum: ${add} ` +
        'over dim 1; GB/s = bytes each must read and write once'
    );
  }
  return lines;
}

/** The whole report as text, for a terminal or a README code block. */
export function formatReport(r: BenchReport): string {
  const peers = r.config.peers;
  const out = header(r);
  const peak: string[][] = [['single-core SIMD peak', 'GFLOP/s', 'loop', 'tile', 'spread']];
  for (const p of r.peak) {
    peak.push([
      `${p.build} (${p.build === 'relaxed' ? 'fused multiply-add' : 'mul + add'})`,
      fmtValue(p.gflops),
      fmtValue(p.loopGflops),
      fmtValue(p.tileGflops),
      fmtSpread(p.spread),
    ]);
  }
  out.push('', textTable(peak));

  const peerHead = peers.flatMap((p) => [p, 'ratio']);
  const k: string[][] = [['kernels, one thread', 'unit', 'ours', 'spread', '% peak', ...peerHead]];
  for (const row of r.kernels) {
    const o = row.ours;
    k.push([
      row.label,
      row.unit,
      o.status === 'ok' ? fmtValue(o.value) : o.status,
      fmtSpread(o.spread),
      fmtPercent(o.fractionOfPeak),
      ...peerCells(peers, row.peers),
    ]);
  }
  out.push('', textTable(k, 2));
  out.push(...kernelFootnotes(r));

  const md: string[][] = [['models, images/s', 'workers', 'ours', 'spread', ...peerHead]];
  for (const row of r.models) {
    const o = row.ours;
    md.push([
      `${row.model} ${row.mode}`,
      String(row.workers),
      o.status === 'ok' ? fmtValue(o.value) : o.status,
      fmtSpread(o.spread),
      ...peerCells(peers, row.peers),
    ]);
  }
  out.push('', textTable(md, 1));
  out.push(
    `train = forward + backward + Adam step, infer = eval-mode forward; batch ` +
      `${r.config.batch}; workers > 1 share each batch (DataParallel); peers run one thread`
  );

  // Reports written before the threads rows existed have no such field.
  const threads = r.threads ?? [];
  if (threads.length > 0) {
    const t0 = threads[0];
    const one = t0.oneThread;
    const th: string[][] = [['intra-op threads, images/s', 'threads', 'ours', 'spread', 'ratio']];
    th.push([
      'resnet18 predict',
      '1',
      one.status === 'ok' ? fmtValue(one.value) : one.status,
      fmtSpread(one.spread),
      '',
    ]);
    for (const row of threads) {
      const o = row.ours;
      th.push([
        'resnet18 predict',
        row.usedThreads === row.threads
          ? String(row.threads)
          : `${row.threads} (${row.usedThreads})`,
        o.status === 'ok' ? fmtValue(o.value) : o.status,
        fmtSpread(o.spread),
        fmtRatio(row.ratio),
      ]);
    }
    out.push('', textTable(th, 1));
    out.push(
      `ResNet-18 ${t0.input.join('x')}, batch 1, predict(); setNumThreads(n) splits each GEMM ` +
        'and conv across n threads; ratio = images/s over one thread'
    );
  }

  const notes = [...r.notes];
  const seen = new Set<string>();
  for (const row of [...r.kernels, ...r.models]) {
    const name = 'model' in row ? `${row.model} ${row.mode}` : row.label;
    for (const p of row.peers) {
      if (!p.note) continue;
      const line = `${p.peer} ${p.status === 'ok' ? name : p.status}: ${p.note}`;
      const key = p.status === 'ok' ? line : `${p.peer} ${p.status} ${p.note}`;
      if (seen.has(key)) continue;
      seen.add(key);
      notes.push(`${p.timedBatch ? '* ' : ''}${line}`);
    }
  }
  out.push('', 'notes:', ...notes.map((n) => `  - ${n}`));
  return `${out.join('\n')}\n`;
}
