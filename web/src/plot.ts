// The demo's live training plot: smoothed loss (left axis) and train accuracy (right axis) against
// images seen, test accuracy as labelled dots at each epoch's end; colours come from the page's
// CSS variables (web/demo.css). Drawn at most once a frame. Tested by test/browser/demo.test.ts.

import { fmt } from './dom.js';

export interface PlotPoint {
  /** Images trained on so far. */
  x: number;
  loss: number;
  /** Fraction of the batch right, in [0, 1]. */
  acc: number;
}

/** What a training run shows: `total` images to train on, the steps so far, the epochs' tests. */
export interface PlotRun {
  total: number;
  points: PlotPoint[];
  tests: { x: number; acc: number }[];
}

/** A round step (1, 2, 2.5 or 5 times a power of ten) giving about four ticks up to max. */
export function tickStep(max: number): number {
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** The loss axis' top: the first of a few round values at or above v. */
export function niceMax(v: number): number {
  const steps = [0.5, 1, 1.5, 2, 2.5, 3, 4, 5];
  return steps.find((s) => s >= v) ?? Math.ceil(v);
}

export class LossPlot {
  /** The run drawn; null draws the empty axes with a hint. */
  run: PlotRun | null = null;
  private queued = false;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Draws on the next animation frame, once however often it is asked. */
  schedule(): void {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.draw();
    });
  }

  draw(): void {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(document.documentElement);
    const color = (name: string): string => css.getPropertyValue(name).trim();
    const box = { l: 46, r: w - 48, t: 12, b: h - 26 };
    const run = this.run;
    const pts = run?.points ?? [];
    const xMax = run?.total ?? 1;
    const lossMax = pts.length ? niceMax(Math.max(0.5, ...pts.map((p) => p.loss))) : 2.5;
    const X = (x: number): number => box.l + ((box.r - box.l) * x) / xMax;
    const YL = (v: number): number => box.b - ((box.b - box.t) * Math.min(v, lossMax)) / lossMax;
    const YA = (v: number): number => box.b - (box.b - box.t) * v;

    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    for (let i = 0; i <= 5; i++) {
      const y = box.b - ((box.b - box.t) * i) / 5;
      g.strokeStyle = i === 0 ? '#cfd3e3' : '#eceef5';
      g.beginPath();
      g.moveTo(box.l, y);
      g.lineTo(box.r, y);
      g.stroke();
      g.fillStyle = color('--loss');
      g.textAlign = 'right';
      g.fillText(fmt((lossMax * i) / 5, 1), box.l - 8, y + 4);
      g.fillStyle = color('--acc');
      g.textAlign = 'left';
      g.fillText(`${i * 20}%`, box.r + 8, y + 4);
    }
    g.fillStyle = color('--muted');
    if (!run) {
      g.textAlign = 'center';
      g.font = '14px system-ui, sans-serif';
      g.fillText(
        'press Train: loss and accuracy appear here as the model learns',
        (box.l + box.r) / 2,
        (box.t + box.b) / 2
      );
      return;
    }
    const step = tickStep(xMax);
    for (let x = 0; x <= xMax - 0.4 * step; x += step) {
      g.textAlign = 'center';
      g.fillText(x === 0 ? '0' : `${fmt(x / 1000, x % 1000 ? 1 : 0)}k`, X(x), box.b + 17);
    }
    g.textAlign = 'right';
    g.fillText(`${fmt(xMax / 1000, xMax % 1000 ? 1 : 0)}k images`, box.r, box.b + 17);
    if (pts.length === 0) return;
    const line = (key: 'loss' | 'acc', Y: (v: number) => number, stroke: string): void => {
      g.strokeStyle = stroke;
      g.lineWidth = 2.2;
      g.lineJoin = 'round';
      g.beginPath();
      pts.forEach((p, i) => (i ? g.lineTo(X(p.x), Y(p[key])) : g.moveTo(X(p.x), Y(p[key]))));
      g.stroke();
    };
    line('loss', YL, color('--loss'));
    line('acc', YA, color('--acc'));
    g.font = '600 11px system-ui, sans-serif';
    g.textAlign = 'left';
    for (const t of run.tests) {
      const x = X(t.x);
      const y = YA(t.acc);
      g.fillStyle = color('--test');
      g.beginPath();
      g.arc(x, y, 5, 0, 2 * Math.PI);
      g.fill();
      // A label on a white pill left of the dot: above it where there is room, else below.
      const text = `test ${fmt(100 * t.acc, 2)}%`;
      const tw = g.measureText(text).width;
      const lx = Math.max(box.l + 2, x - tw - 22);
      const ly = y - 28 >= box.t ? y - 28 : y + 14;
      g.fillStyle = 'rgba(255, 255, 255, 0.92)';
      g.beginPath();
      g.roundRect(lx - 6, ly, tw + 12, 18, 9);
      g.fill();
      g.fillStyle = color('--test');
      g.fillText(text, lx, ly + 13);
    }
  }
}
