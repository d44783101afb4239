// Reverse-mode autograd. Ops attach a GradNode to their output (record); backward() walks the
// graph in reverse topological order, accumulates gradients where a tensor feeds several ops,
// stores leaf gradients in .grad and frees the graph as it goes: each node once it has run, and
// each intermediate made inside a module's forward once nothing in the graph needs it (not
// what the outermost forward returned, nor tensors made by user code or kept). It never names
// an op. Every op also reports itself to the tracer when one is set (ONNX export, io/onnx-trace.ts).
// Installs Tensor's backward() and reshape() (the one op autograd itself needs: a gradient's view).
// Tests: test/ops/autograd.test.ts, test/tensor/memory.test.ts.

import { axpy } from '../runtime/kernels/elementwise.js';
import { Tensor, fmtShape, getRuntime, type GradNode } from '../tensor/tensor.js';

let gradEnabled = true;

/** Runs fn with graph recording off (as torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** What an op tells a tracer beyond its inputs and output shape: strides, eps, dims, running
 * statistics (tensors that are not inputs of the graph), scalar parameters. */
export type OpAttrs = object;

/** Sees every op as it runs: its output, name, tensor inputs and attributes. */
export type Tracer = (
  out: Tensor,
  name: string,
  inputs: readonly (Tensor | null)[],
  attrs: OpAttrs | undefined
) => void;

let tracer: Tracer | null = null;

/** @internal Sets the tracer every op reports to (null: none); returns the previous one. */
export function setTracer(t: Tracer | null): Tracer | null {
  const prev = tracer;
  tracer = t;
  return prev;
}

/** Reports an op that records no graph (a comparison, argmax) to the tracer, if one is set. */
export function traceOp(
  out: Tensor,
  name: string,
  inputs: readonly (Tensor | null)[],
  attrs?: OpAttrs
): Tensor {
  if (tracer !== null) tracer(out, name, inputs, attrs);
  return out;
}

/**
 * Attaches the backward of an op to out when recording is on and some input wants a gradient;
 * otherwise releases what the op saved at once. attrs are for the tracer (ONNX export).
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly (Tensor | null)[],
  backward: GradNode['backward'],
  release?: () => void,
  attrs?: OpAttrs
): Tensor {
  if (tracer !== null) tracer(out, name, inputs, attrs);
  out.opOutput = true;
  if (gradEnabled && inputs.some((t) => t?.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { name, inputs, backward };
    out.setRelease(release ?? null);
  } else {
    release?.();
  }
  return out;
}

/** acc += g (same shape); disposes g. */
function accumulate(acc: Tensor, g: Tensor): void {
  axpy(getRuntime(), 1, g.buf, acc.buf, acc.size);
  g.dispose();
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child?.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order.reverse();
}

/** An intermediate backward() may free: made by an op inside a module, not kept. */
function freeable(t: Tensor, root: Tensor): boolean {
  return t !== root && t.internal && t.opOutput && !t.retained && !t.disposed;
}

/** Backpropagates gradient (ones for a scalar root) through the graph that produced root. */
export function backward(
  root: Tensor,
  gradient?: Tensor,
  opts: { retainGraph?: boolean } = {}
): void {
  const retain = opts.retainGraph ?? false;
  if (root.graphFreed) {
    throw new Error(
      `backward: the graph of tensor ${fmtShape(root.shape)} was already freed by an ` +
        'earlier backward(); pass { retainGraph: true } to the first call to backward twice'
    );
  }
  if (!root.requiresGrad) {
    throw new Error(
      `backward: tensor ${fmtShape(root.shape)} does not require grad and has no ` +
        'graph (did an input have requiresGrad set?)'
    );
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new Error(
        `backward: a gradient is needed for a non-scalar output ${fmtShape(root.shape)}; ` +
          'pass y.backward(gradient) with a tensor of the same shape'
      );
    }
    seed = Tensor.empty(root.shape);
    seed.rawData()[0] = 1;
  } else {
    if (gradient.size !== root.size || gradient.shape.join() !== root.shape.join()) {
      throw new RangeError(
        `backward: gradient shape ${fmtShape(gradient.shape)} must equal the ` +
          `output shape ${fmtShape(root.shape)}`
      );
    }
    seed = gradient.view(root.shape);
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const constants = new Set<Tensor>();
  const hadGraph = root.node !== null;
  for (const t of topoOrder(root)) {
    const g = grads.get(t);
    grads.delete(t);
    const node = t.node;
    if (!node || !g) {
      if (g && t.grad) {
        accumulate(t.grad, g);
      } else if (g) {
        t.grad = g.keep();
      } else if (node && !retain) {
        freeNode(t, root);
      }
      continue;
    }
    if (t.retainsGrad) storeGrad(t, g);
    const needs = node.inputs.map((x) => !!x?.requiresGrad);
    const inGrads = node.backward(g, needs);
    g.dispose();
    if (!retain) {
      for (const x of node.inputs) if (x && !x.requiresGrad && freeable(x, root)) constants.add(x);
      freeNode(t, root);
    }
    node.inputs.forEach((x, i) => {
      const gi = inGrads[i];
      if (!x || !gi) return;
      if (!needs[i]) {
        gi.dispose();
        return;
      }
      const prev = grads.get(x);
      if (prev) accumulate(prev, gi);
      else grads.set(x, gi);
    });
  }
  if (retain) return;
  for (const x of constants) {
    x.graphFreed = true;
    x.dispose();
  }
  if (hadGraph) root.graphFreed = true;
}

/** Drops t's node and what it saved; frees t itself when it is a freeable intermediate. */
function freeNode(t: Tensor, root: Tensor): void {
  t.releaseSaved();
  t.node = null;
  if (freeable(t, root)) {
    t.graphFreed = true;
    t.dispose();
  }
}

/** t.grad += g for a non-leaf that asked for its gradient (retainGrad). */
function storeGrad(t: Tensor, g: Tensor): void {
  if (t.grad) {
    axpy(getRuntime(), 1, g.buf, t.grad.buf, t.size);
  } else {
    const copy = Tensor.empty(t.shape).keep();
    copy.rawData().set(g.rawData());
    t.grad = copy;
  }
}

function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const inferred = [...shape];
  const neg = inferred.indexOf(-1);
  if (neg >= 0) {
    const rest = inferred.reduce((a, d, i) => (i === neg ? a : a * d), 1);
    if (rest === 0 || t.size % rest !== 0) {
      throw new RangeError(
        `reshape: cannot infer -1 in ${fmtShape(shape)} for ${t.size} values ${fmtShape(t.shape)}`
      );
    }
    inferred[neg] = t.size / rest;
  }
  const out = t.view(inferred);
  return record(out, 'reshape', [t], (gy) => [gy.view(t.shape)]);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Same data, another shape (one dimension may be -1); shares storage. */
    reshape(shape: readonly number[]): Tensor;
    /**
     * Backpropagates from this tensor (a scalar, or any shape with gradient given), then frees
     * the graph: its nodes and the intermediates made inside modules' forward (what a model's
     * outermost forward returns and what your own code made stay usable). retainGraph keeps it
     * all for another backward.
     */
    backward(gradient?: Tensor | { retainGraph?: boolean }, opts?: { retainGraph?: boolean }): void;
  }
}

Tensor.prototype.reshape = function (this: Tensor, shape: readonly number[]): Tensor {
  return reshape(this, shape);
};
Tensor.prototype.backward = function (
  this: Tensor,
  gradient?: Tensor | { retainGraph?: boolean },
  opts: { retainGraph?: boolean } = {}
): void {
  if (gradient !== undefined && !(gradient instanceof Tensor)) backward(this, undefined, gradient);
  else backward(this, gradient, opts);
};
