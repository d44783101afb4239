// The demo's "Benchmark this device": runs `simdgrad bench`'s report (bench/report.ts, quick;
// `/?bench=tiny` for tests) in the tab on the page's MNIST images, with a progress bar, then a
// compact table, the report's SVG chart and its JSON to save. The harness is imported only when
// pressed. Tested by test/browser/demo.test.ts.

import type { BenchReport } from '../../bench/index.js';
import type { ImageDataset } from '../../src/index.js';
import { byId, errorMessage, showNotice } from './dom.js';

/** What the panel needs from the page. */
export interface BenchHost {
  /** Why Web Workers are off in this page (sharedMemoryProblem()), or null. */
  problem(): string | null;
  /** The first n MNIST training images, normalised. */
  mnist(n: number): ImageDataset;
  /** The benchmark starts (true) or ends (false): the page locks or unlocks its controls. */
  busy(on: boolean): void;
}

type Format = Pick<typeof import('../../bench/index.js'), 'fmtValue' | 'fmtPercent'>;

interface Row {
  label: string;
  status: string;
  value?: number;
  unit: string;
  fraction?: number;
  note?: string;
}

/** Resolves after the next frame is drawn (or 100 ms in a hidden tab, which draws none). */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(timer);
      setTimeout(resolve, 0);
    });
  });
}

export class BenchPanel {
  /** Whether a benchmark is running (it swaps the library's runtime while it times). */
  running = false;
  private urls: string[] = [];

  constructor(private readonly host: BenchHost) {}

  async run(): Promise<void> {
    const size = new URLSearchParams(location.search).get('bench') === 'tiny' ? 'tiny' : 'quick';
    const workers = this.host.problem() ? [1] : [1, 2];
    this.setRunning(true);
    delete document.body.dataset.bench;
    byId('bench-progress').hidden = false;
    byId('bench-bar').style.width = '0';
    byId('bench-status').textContent = 'loading the benchmark…';
    try {
      // simdgrad/bench: runBench, renderSvg and the format helpers show() uses.
      const bench = await import('../../bench/index.js');
      const report = await bench.runBench({
        quick: size === 'quick',
        tiny: size === 'tiny',
        workers,
        models: ['small-cnn'],
        data: 'mnist',
        mnist: (n) => this.host.mnist(n),
        progress: (msg) => {
          byId('bench-status').textContent = `measuring: ${msg.replace(/\s+/g, ' ')}`;
        },
        beforeMeasure: async (done, total) => {
          byId('bench-bar').style.width = `${(100 * done) / total}%`;
          await nextFrame();
        },
      });
      byId('bench-bar').style.width = '100%';
      this.show(report, bench.renderSvg(report), bench);
      byId('bench-status').textContent = `done in ${report.seconds} s`;
      document.body.dataset.bench = 'done';
    } catch (e) {
      showNotice(`The benchmark failed: ${errorMessage(e)}`, 'error');
      console.error(e);
      byId('bench-status').textContent = 'failed';
      document.body.dataset.bench = 'failed';
    } finally {
      this.setRunning(false);
    }
  }

  private setRunning(on: boolean): void {
    this.running = on;
    this.host.busy(on);
    byId('bench').textContent = on ? 'Benchmarking…' : 'Benchmark this device';
  }

  /** The compact table (peak, largest GEMM, conv rows, model rows), the chart and the JSON. */
  private show(report: BenchReport, svg: string, { fmtValue, fmtPercent }: Format): void {
    const rows: Row[] = [];
    const peak = report.peak.find((p) => p.build === report.build.used);
    if (peak) {
      rows.push({
        label: `SIMD peak (${peak.build})`,
        status: 'ok',
        value: peak.gflops,
        unit: 'GFLOP/s',
      });
    }
    const gemms = report.kernels.filter((k) => k.kind === 'gemm');
    // The small CNN's conv rows; the full report (chart, JSON) also has convT and GB/s rows.
    const convs = report.kernels.filter((k) => k.kind === 'conv' && !k.id.startsWith('convT.'));
    for (const k of [...gemms.slice(-1), ...convs]) {
      rows.push({ label: k.label, ...k.ours, unit: k.unit, fraction: k.ours.fractionOfPeak });
    }
    for (const m of report.models) {
      rows.push({
        label: `${m.model} ${m.mode}, ${m.workers} worker${m.workers > 1 ? 's' : ''}`,
        ...m.ours,
        unit: 'img/s',
      });
    }
    // Intra-op threads (setNumThreads): 1 thread used where the page is not cross-origin isolated.
    const threads = report.threads ?? [];
    if (threads.length > 0) {
      const t0 = threads[0];
      const what = `resnet18 ${t0.input.slice(1).join('×')} b1 predict`;
      rows.push({ label: `${what}, 1 thread`, ...t0.oneThread, unit: 'img/s' });
      for (const t of threads) {
        const used = t.usedThreads === t.threads ? '' : ` (${t.usedThreads} used)`;
        rows.push({ label: `${what}, ${t.threads} threads${used}`, ...t.ours, unit: 'img/s' });
      }
    }
    byId<HTMLTableElement>('bench-table').tBodies[0].replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        const cells = [
          [r.label, ''],
          [r.status === 'ok' ? fmtValue(r.value) : r.status, 'value'],
          [r.unit, 'unit'],
          [fmtPercent(r.fraction), 'percent'],
        ];
        for (const [text, cls] of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          if (cls) td.className = cls;
          tr.append(td);
        }
        if (r.note) tr.title = r.note;
        return tr;
      })
    );
    const m = report.machine;
    const meta = byId('bench-meta');
    const { data, batch, size } = report.config;
    meta.textContent =
      `${m.engine} · ${m.logicalCores} hardware thread` +
      `${m.logicalCores > 1 ? 's' : ''} · ${report.build.used} kernels · ` +
      `${data === 'mnist' ? 'MNIST' : 'synthetic'} batches of ${batch}` +
      ` · ${size} run, ${report.seconds} s`;
    meta.title = m.userAgent ?? '';
    for (const url of this.urls) URL.revokeObjectURL(url);
    const chart = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    const json = URL.createObjectURL(
      new Blob([`${JSON.stringify(report, null, 2)}\n`], { type: 'application/json' })
    );
    this.urls = [chart, json];
    byId<HTMLImageElement>('bench-chart').src = chart;
    byId<HTMLAnchorElement>('bench-json').href = json;
    byId('bench-result').hidden = false;
  }
}
