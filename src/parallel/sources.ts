// How workers get the model, the loss and the metrics of the main thread: the main side turns
// them into plain descriptions (a spec, an `F` name, an ES module URL and export) and fails at
// start naming the option to give; the worker side imports and builds from them.
// Tests: test/parallel/custom.test.ts, test/browser/demo.test.ts.

import { buildModel, modelSpec } from '../models/spec.js';
import * as F from '../nn/functional.js';
import { Module } from '../nn/module.js';
import { fmtShape } from '../tensor/tensor.js';
import * as builtinMetrics from '../train/metrics.js';
import type { LossFunction, MetricFunction } from '../train/metrics.js';
import type { ExportRef, FunctionSource, ModelSource, ReplicaOptions } from './pool.js';

/** An ExportRef's module as an absolute URL the workers can import. */
export function resolveModuleUrl(ref: ExportRef, option: string): string {
  const m = ref?.module;
  if (m instanceof URL) return m.href;
  if (typeof m !== 'string' || m === '') {
    throw new TypeError(`${option}.module must be a URL or a non-empty string, got ${String(m)}`);
  }
  try {
    return new URL(m).href;
  } catch {
    // a relative URL or a path: resolved below
  }
  const g = globalThis as { location?: { href: string }; process?: { cwd?: () => string } };
  const cwd = g.process?.cwd?.();
  const base =
    g.location?.href ?? (cwd ? `file://${encodeURI(cwd.replace(/\/?$/, '/'))}` : undefined);
  if (!base) {
    throw new TypeError(
      `${option}.module '${m}' is relative and there is no base to resolve ` + 'it against'
    );
  }
  return new URL(m, base).href;
}

function exportName(ref: ExportRef, option: string): string {
  const name = ref.export ?? 'default';
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${option}.export must be a non-empty string, got ${String(name)}`);
  }
  return name;
}

function describe(model: Module): string {
  return model.constructor?.name || 'the model';
}

/** How workers rebuild model: replica.model when given, else its spec; an error otherwise. */
export function modelSource(
  model: Module,
  replica: ReplicaOptions | undefined,
  who: string
): ModelSource {
  const ref = replica?.model;
  if (ref) {
    const args = ref.args ?? [];
    if (!Array.isArray(args)) throw new TypeError(`${who}: replica.model.args must be an array`);
    return {
      kind: 'import',
      url: resolveModuleUrl(ref, `${who}: replica.model`),
      export: exportName(ref, `${who}: replica.model`),
      args,
    };
  }
  const spec = modelSpec(model);
  if (spec) return { kind: 'spec', spec };
  const name = describe(model);
  throw new Error(
    `${who}: worker threads cannot rebuild ${name} (it is not built from library ` +
      "layers alone): give replica: { model: { module: new URL('./<its file>.js', " +
      `import.meta.url), export: '${name}' } }, naming the ES module that exports the class (or a ` +
      'factory function), or train with workers: 1'
  );
}

function builtinLoss(loss: LossFunction): string | undefined {
  return Object.entries(F).find(([, f]) => f === loss)?.[0];
}

/** How workers get the loss: an `F` function by name, or replica.loss; an error otherwise. */
export function lossSource(
  loss: LossFunction | undefined,
  replica: ReplicaOptions | undefined,
  labelSmoothing: number | undefined,
  who: string
): FunctionSource {
  if (loss === undefined) return { kind: 'builtin', name: 'crossEntropy', labelSmoothing };
  const name = builtinLoss(loss);
  if (name) return { kind: 'builtin', name, labelSmoothing };
  const ref = replica?.loss;
  if (ref) {
    return {
      kind: 'import',
      url: resolveModuleUrl(ref, `${who}: replica.loss`),
      export: exportName(ref, `${who}: replica.loss`),
    };
  }
  throw new Error(
    `${who}: worker threads cannot reach the loss ${loss.name ? `'${loss.name}' ` : ''}` +
      "(it is not an F function): give replica: { loss: { module: new URL('./<its file>.js', " +
      `import.meta.url), export: '${loss.name || '<its name>'}' } }, naming the ES module that ` +
      'exports it, or train with workers: 1'
  );
}

/** How workers get each metric: a library metric by name, or a key of replica.metrics. */
export function metricSources(
  metrics: [string, MetricFunction][],
  replica: ReplicaOptions | undefined,
  who: string
): [string, FunctionSource][] {
  const library = Object.entries(builtinMetrics);
  return metrics.map(([key, fn]) => {
    const name = library.find(([, f]) => f === fn)?.[0];
    if (name) return [key, { kind: 'builtin', name }];
    const ref = replica?.metrics;
    if (!ref) {
      throw new Error(
        `${who}: worker threads cannot reach the metric '${key}' (it is not a ` +
          "library metric): give replica: { metrics: { module: new URL('./<its file>.js', " +
          "import.meta.url), export: '<an object of metric functions>' } }, whose object holds " +
          `'${key}', or train with workers: 1`
      );
    }
    return [
      key,
      {
        kind: 'import',
        url: resolveModuleUrl(ref, `${who}: replica.metrics`),
        export: exportName(ref, `${who}: replica.metrics`),
        key,
      },
    ];
  });
}

// ---- worker side ----

async function importExport(url: string, name: string, what: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    // the app's own module, at run time: no bundler may resolve or rewrite it
    mod = (await import(/* webpackIgnore: true */ /* @vite-ignore */ url)) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new Error(`could not import ${what} from ${url}: ${(e as Error).message}`);
  }
  if (!(name in mod)) {
    throw new Error(
      `${url} has no export '${name}' (${what}); it exports: ` +
        `${Object.keys(mod).join(', ') || 'nothing'}`
    );
  }
  return mod[name];
}

/** The worker's model, built from its source. */
export async function buildReplicaModel(src: ModelSource): Promise<Module> {
  if (src.kind === 'spec') return buildModel(src.spec);
  const what = `the model (replica.model)`;
  const made = await importExport(src.url, src.export, what);
  if (typeof made !== 'function') {
    throw new TypeError(
      `${src.url} export '${src.export}' (${what}) is a ${typeof made}, not a ` +
        'class or a function'
    );
  }
  const ctor = made as new (...a: unknown[]) => unknown;
  const isClass =
    ctor.prototype instanceof Module || /^class\b/.test(Function.prototype.toString.call(made));
  const model = isClass
    ? new ctor(...src.args)
    : await (made as (...a: unknown[]) => unknown)(...src.args);
  if (!(model instanceof Module)) {
    const hint =
      model && typeof model === 'object' && 'namedParameters' in model
        ? ': it is a Module of another copy of simdgrad; import simdgrad in that file from where ' +
          'the workers load it (the package name, or the same dist/ files)'
        : '';
    throw new TypeError(
      `${src.url} export '${src.export}' (${what}) did not give an nn.Module${hint}`
    );
  }
  return model;
}

/** Fails naming the first parameter or buffer whose name or shape differs from the main model. */
export function checkReplicaState(model: Module, main: [string, number[]][]): void {
  const mine: [string, readonly number[]][] = [
    ...model.namedParameters().map(([n, t]) => [n, t.shape] as [string, readonly number[]]),
    ...model.namedBuffers().map(([n, t]) => [n, t.shape] as [string, readonly number[]]),
  ];
  const count = Math.max(mine.length, main.length);
  for (let i = 0; i < count; i++) {
    const a = mine[i];
    const b = main[i];
    const same =
      a && b && a[0] === b[0] && a[1].length === b[1].length && a[1].every((d, j) => d === b[1][j]);
    if (same) continue;
    const fmt = (e: [string, readonly number[]] | undefined): string =>
      e ? `'${e[0]}' ${fmtShape(e[1])}` : 'nothing';
    throw new Error(
      `the worker's model differs from the main model at parameter/buffer ${i + 1}: ` +
        `${fmt(a)} in the worker, ${fmt(b)} in the main model (${mine.length} vs ${main.length} ` +
        'tensors); build the same model in both'
    );
  }
}

/** The worker's loss function. */
export async function loadLoss(
  src: FunctionSource
): Promise<{ fn: LossFunction; labelSmoothing?: number }> {
  if (src.kind === 'builtin') {
    const fn = (F as Record<string, unknown>)[src.name];
    if (typeof fn !== 'function') {
      throw new Error(`the loss F.${src.name} does not exist in the worker`);
    }
    return { fn: fn as LossFunction, labelSmoothing: src.labelSmoothing };
  }
  const fn = await importExport(src.url, src.export, 'the loss (replica.loss)');
  if (typeof fn !== 'function') {
    throw new TypeError(
      `${src.url} export '${src.export}' (the loss) is a ${typeof fn}, ` + 'not a function'
    );
  }
  return { fn: fn as LossFunction };
}

/** The worker's metric functions, by key. */
export async function loadMetrics(
  srcs: [string, FunctionSource][]
): Promise<[string, MetricFunction][]> {
  const out: [string, MetricFunction][] = [];
  for (const [key, src] of srcs) {
    let fn: unknown;
    if (src.kind === 'builtin') {
      fn = (builtinMetrics as Record<string, unknown>)[src.name];
    } else {
      const obj = await importExport(src.url, src.export, 'the metrics (replica.metrics)');
      fn =
        obj && typeof obj === 'object'
          ? (obj as Record<string, unknown>)[src.key ?? key]
          : undefined;
      if (typeof fn !== 'function') {
        throw new TypeError(
          `${src.url} export '${src.export}' (replica.metrics) holds no metric ` +
            `function '${src.key ?? key}'`
        );
      }
    }
    out.push([key, fn as MetricFunction]);
  }
  return out;
}
