// The demo's drawing pad and what the model makes of it: white strokes on a transparent canvas
// (mouse, pen or touch), turned into the model's 28 x 28 input by data.digitTo28
// (src/data/digits.ts) from the canvas' alpha channel; the input preview and one bar per digit.
// Tested by test/browser/demo.test.ts (a stroke drawn with the mouse reads as a 1).

import { data } from '../../src/index.js';
import { byId, find, fmt } from './dom.js';

interface Point {
  x: number;
  y: number;
}

/** The pad: call `digit()` for the model input. onDraw runs on every stroke segment, onEnd when
 * a stroke ends; `clear()` wipes it. */
export class DrawingPad {
  /** Whether anything was drawn since the last clear. */
  hasInk = false;
  private readonly ink: CanvasRenderingContext2D;
  private last: Point | null = null;

  constructor(
    private readonly pad: HTMLCanvasElement,
    hooks: { onDraw: () => void; onEnd: () => void }
  ) {
    const ink = pad.getContext('2d', { willReadFrequently: true });
    if (!ink) throw new Error('demo: the drawing pad has no 2d context');
    this.ink = ink;
    pad.addEventListener('pointerdown', (e) => {
      pad.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last, this.last);
    });
    pad.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.point(e);
      this.stroke(this.last, p);
      this.last = p;
      hooks.onDraw();
    });
    for (const type of ['pointerup', 'pointercancel'] as const) {
      pad.addEventListener(type, () => {
        this.last = null;
        hooks.onEnd();
      });
    }
  }

  clear(): void {
    this.ink.clearRect(0, 0, this.pad.width, this.pad.height);
    this.hasInk = false;
  }

  /** The drawing as the model's input (784 values in [0, 1]), or null when there is no ink. */
  digit(): Float32Array | null {
    if (!this.hasInk) return null;
    const { width, height } = this.pad;
    const rgba = this.ink.getImageData(0, 0, width, height).data;
    const alpha = new Uint8Array(width * height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3];
    const x = data.digitTo28(alpha, width, height);
    return x.some((v) => v > 0) ? x : null;
  }

  private point(e: PointerEvent): Point {
    const r = this.pad.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * this.pad.width) / r.width,
      y: ((e.clientY - r.top) * this.pad.height) / r.height,
    };
  }

  private stroke(from: Point, to: Point): void {
    const ink = this.ink;
    ink.strokeStyle = '#fff';
    ink.lineWidth = 22;
    ink.lineCap = 'round';
    ink.lineJoin = 'round';
    ink.beginPath();
    ink.moveTo(from.x, from.y);
    ink.lineTo(to.x, to.y);
    ink.stroke();
    this.hasInk = true;
  }
}

/** The model's view of the pad: the 28 x 28 input, the digit it reads, its confidence and one
 * bar per class (body[data-prediction] holds the digit, for tests). */
export class DigitGuess {
  private readonly bars: HTMLElement[] = [];

  constructor() {
    for (let d = 0; d < 10; d++) {
      const el = document.createElement('div');
      el.className = 'bar';
      el.innerHTML = `<em>–</em><i></i><span>${d}</span>`;
      byId('bars').append(el);
      this.bars.push(el);
    }
  }

  /** Shows input x (null: blank) and the class probabilities (null: no guess). */
  show(x: Float32Array | null, probs: Float32Array | null): void {
    this.showInput(x);
    if (!x || !probs) {
      byId('prediction').textContent = '?';
      byId('confidence').textContent = 'draw 0–9 on the pad';
      delete document.body.dataset.prediction;
      for (const b of this.bars) {
        b.classList.remove('top');
        this.bar(b).i.style.height = '0';
        this.bar(b).em.textContent = '–';
      }
      return;
    }
    let best = 0;
    for (let d = 1; d < 10; d++) if (probs[d] > probs[best]) best = d;
    byId('prediction').textContent = String(best);
    byId('confidence').textContent = `${fmt(100 * probs[best], 1)}% sure`;
    document.body.dataset.prediction = String(best);
    this.bars.forEach((b, d) => {
      b.classList.toggle('top', d === best);
      this.bar(b).i.style.height = `${Math.max(1, 100 * probs[d])}%`;
      this.bar(b).em.textContent = probs[d] >= 0.005 ? `${Math.round(100 * probs[d])}%` : '';
    });
  }

  private bar(b: HTMLElement): { i: HTMLElement; em: HTMLElement } {
    return { i: find(b, 'i'), em: find(b, 'em') };
  }

  private showInput(x: Float32Array | null): void {
    const c = byId<HTMLCanvasElement>('input28').getContext('2d');
    if (!c) return;
    const img = c.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * (x?.[i] ?? 0));
      img.data.set([v, v, v, 255], 4 * i);
    }
    c.putImageData(img, 0, 0);
  }
}
