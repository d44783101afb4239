// A BenchReport as a dependency-free SVG bar chart (`simdgrad bench --svg`): one panel per unit
// (kernel GFLOP/s with the measured peak as a dashed line, pooling and element-wise GB/s,
// training and inference images/s, ResNet-18 batch 1 on intra-op threads), horizontal bars for
// ours and each peer with the value and ratio at the bar's end.

import { fmtRatio, fmtValue } from './format.js';
import type { BenchReport, PeerMeasured } from './types.js';

interface Bar {
  series: string;
  value?: number;
  /** Text where a bar is missing (not installed, missing kernel). */
  status?: string;
  suffix?: string;
}

interface Group {
  label: string;
  bars: Bar[];
}

interface Panel {
  title: string;
  groups: Group[];
  /** A vertical reference line (the SIMD peak). */
  line?: { value: number; label: string };
}

const WIDTH = 800;
const LABEL_W = 150;
const VALUE_W = 130;
const BAR_H = 13;
const BAR_GAP = 2;
const GROUP_GAP = 10;
const PANEL_HEAD = 44;
const PEER_COLORS: Record<string, string> = {
  'tfjs-wasm': '#f28e2b',
  'tfjs-cpu': '#9d9d9d',
  torch: '#e15759',
  'torch-128': '#ff9d9a',
  'ort-web': '#59a14f',
};
const OURS_COLORS = ['#1f5fa8', '#4e8fd6', '#8dbbe8', '#bcd7f2'];

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  const a = attrs ? ` ${attrs}` : '';
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${a}>${esc(s)}</text>`;
}

/** A round step giving about five grid lines up to max. */
function niceStep(max: number): number {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function peerBar(p: PeerMeasured): Bar {
  if (p.status !== 'ok') return { series: p.peer, status: p.status };
  const batch = p.timedBatch ? ` (batch ${p.timedBatch})` : '';
  return {
    series: p.peer,
    value: p.value,
    suffix: p.ratio ? `  ours ${fmtRatio(p.ratio)}${batch}` : batch,
  };
}

function oursLabel(workers: number): string {
  return workers === 1 ? 'ours, 1 thread' : `ours, ${workers} workers`;
}

function panels(r: BenchReport): Panel[] {
  const ours = oursLabel(1);
  const kernelGroups = (unit: string): Group[] =>
    r.kernels
      .filter((k) => k.unit === unit)
      .map((k) => ({
        label: k.label,
        bars: [
          {
            series: ours,
            value: k.ours.value,
            status: k.ours.status === 'ok' ? undefined : k.ours.status,
          },
          ...k.peers.map(peerBar),
        ],
      }));
  const peak = r.peak.find((p) => p.build === r.build.used);
  const out: Panel[] = [
    {
      title: 'Kernels, one thread: GFLOP/s',
      groups: kernelGroups('GFLOP/s'),
      line: peak && { value: peak.gflops, label: `SIMD peak ${fmtValue(peak.gflops)}` },
    },
    { title: 'Memory-bound kernels, one thread: GB/s', groups: kernelGroups('GB/s') },
  ];
  // One panel per model: training and inference share a scale, the two models would not.
  for (const model of r.config.models) {
    const groups: Group[] = [];
    for (const mode of ['train', 'infer'] as const) {
      const rows = r.models.filter((m) => m.model === model && m.mode === mode);
      if (rows.length === 0) continue;
      const bars: Bar[] = rows.map((m) => ({
        series: oursLabel(m.workers),
        value: m.ours.value,
        status: m.ours.status === 'ok' ? undefined : m.ours.status,
      }));
      // Peers ran once (one thread); their ratio is against our one-worker row.
      const one = rows.find((m) => m.workers === 1) ?? rows[0];
      bars.push(...one.peers.map(peerBar));
      groups.push({ label: mode === 'train' ? 'training' : 'inference', bars });
    }
    out.push({
      title:
        `${model}, images/s (training: forward + backward + Adam; inference: ` + 'eval forward)',
      groups,
    });
  }
  const threads = r.threads ?? [];
  if (threads.length > 0) {
    const one = threads[0].oneThread;
    const bars: Bar[] = [
      {
        series: ours,
        value: one.value,
        status: one.status === 'ok' ? undefined : one.status,
      },
      ...threads.map((t) => ({
        series: `ours, ${t.threads} threads`,
        value: t.ours.value,
        status: t.ours.status === 'ok' ? undefined : t.ours.status,
        suffix: t.ratio ? `  ${fmtRatio(t.ratio)} one thread` : undefined,
      })),
    ];
    out.push({
      title:
        `resnet18 ${threads[0].input.join('x')} batch 1 predict, images/s: intra-op ` +
        'threads (setNumThreads)',
      groups: [{ label: 'predict', bars }],
    });
  }
  return out.filter((p) => p.groups.length > 0);
}

function colorOf(series: string, oursSeries: string[]): string {
  if (PEER_COLORS[series]) return PEER_COLORS[series];
  const i = oursSeries.indexOf(series);
  return OURS_COLORS[Math.max(0, i) % OURS_COLORS.length];
}

function drawPanel(p: Panel, y0: number, oursSeries: string[]): { svg: string[]; height: number } {
  const svg: string[] = [];
  const x0 = LABEL_W;
  const plotW = WIDTH - LABEL_W - VALUE_W;
  const max = Math.max(
    1e-9,
    ...p.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)),
    p.line?.value ?? 0
  );
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const sx = (v: number): number => x0 + (v / top) * plotW;
  const bodyH = p.groups.reduce((h, g) => h + g.bars.length * (BAR_H + BAR_GAP) + GROUP_GAP, 0);
  svg.push(text(10, y0 + 18, p.title, 'class="title"'));
  const gy = y0 + PANEL_HEAD - 8;
  for (let v = 0; v <= top + step / 2; v += step) {
    const x = sx(v);
    svg.push(
      `<line x1="${x.toFixed(1)}" y1="${gy}" x2="${x.toFixed(1)}" y2="${gy + bodyH}" ` +
        'class="grid"/>'
    );
    svg.push(
      text(x, gy - 4, v.toFixed(Math.max(0, -Math.floor(Math.log10(step)))), 'class="tick"')
    );
  }
  // The peak line under the bars, so values stay readable where they cross it.
  if (p.line) {
    const x = sx(p.line.value);
    svg.push(
      `<line x1="${x.toFixed(1)}" y1="${gy}" x2="${x.toFixed(1)}" y2="${gy + bodyH}" ` +
        'class="peak"/>'
    );
    svg.push(text(x - 4, gy + bodyH + 2, p.line.label, 'class="peaklabel"'));
  }
  let y = y0 + PANEL_HEAD;
  for (const g of p.groups) {
    const h = g.bars.length * (BAR_H + BAR_GAP) - BAR_GAP;
    svg.push(text(x0 - 8, y + h / 2 + 4, g.label, 'class="label"'));
    for (const b of g.bars) {
      const color = colorOf(b.series, oursSeries);
      if (b.value !== undefined && Number.isFinite(b.value)) {
        const w = Math.max(1, sx(b.value) - x0);
        svg.push(
          `<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" ` +
            `fill="${color}"><title>${esc(`${b.series}: ${fmtValue(b.value)}`)}</title></rect>`
        );
        svg.push(
          text(x0 + w + 4, y + BAR_H - 3, `${fmtValue(b.value)}${b.suffix ?? ''}`, 'class="value"')
        );
      } else {
        svg.push(
          text(x0 + 4, y + BAR_H - 3, `${b.series}: ${b.status ?? 'n/a'}`, 'class="status"')
        );
      }
      y += BAR_H + BAR_GAP;
    }
    y += GROUP_GAP;
  }
  return { svg, height: PANEL_HEAD + bodyH + 16 };
}

/** The report as a standalone SVG document. */
export function renderSvg(r: BenchReport): string {
  const ps = panels(r);
  const all = [...new Set(ps.flatMap((p) => p.groups.flatMap((g) => g.bars.map((b) => b.series))))];
  const oursSeries = all.filter((s) => !PEER_COLORS[s]);
  const series = [...oursSeries, ...all.filter((s) => PEER_COLORS[s])];
  const body: string[] = [];
  const m = r.machine;
  body.push(
    text(
      10,
      22,
      `simdgrad bench: ${m.cpu}, ${m.availableParallelism} cores, ${m.engine}`,
      'class="head"'
    )
  );
  body.push(
    text(
      10,
      40,
      `${r.startedAt.slice(0, 10)}, ${r.build.used} build; ratio = how many ` +
        'times faster simdgrad is (peer time / our time); peers run one thread',
      'class="sub"'
    )
  );
  let lx = 10;
  for (const s of series) {
    body.push(`<rect x="${lx}" y="50" width="12" height="12" fill="${colorOf(s, oursSeries)}"/>`);
    body.push(text(lx + 16, 60, s, 'class="legend"'));
    lx += 16 + s.length * 6.5 + 18;
  }
  let y = 72;
  for (const p of ps) {
    const d = drawPanel(p, y, oursSeries);
    body.push(...d.svg);
    y += d.height;
  }
  const height = Math.ceil(y + 8);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', ` +
    `Helvetica, Arial, sans-serif" font-size="11">
<style>
.head{font-size:14px;font-weight:600;fill:#222}.sub{fill:#555}
.title{font-size:12px;font-weight:600;fill:#222}
.label{text-anchor:end;fill:#222}.tick{text-anchor:middle;fill:#777;font-size:9px}
.value{fill:#222;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.status{fill:#888;font-style:italic}.legend{fill:#333}.grid{stroke:#e4e4e4;stroke-width:1}
.peak{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:4 3}
.peaklabel{text-anchor:end;fill:#c0392b;font-size:10px}
</style>
<rect width="100%" height="100%" fill="#fff"/>
${body.join('\n')}
</svg>
`
  );
}
