// `simdgrad/bench`: the benchmark harness behind `simdgrad bench`, as a subpath export of its own
// so the library (`simdgrad`, src/index.ts) never loads it. Like the library it imports nothing
// by bare name, so a page loads dist/bench/index.js as it is (the demo's "Benchmark this device").
//
//   import { runBench, formatReport } from 'simdgrad/bench';
//   console.log(formatReport(await runBench({ quick: true })));

/**
 * The benchmark harness behind `simdgrad bench`: run it, format the report, draw it as SVG.
 * @module simdgrad/bench
 */

export { runBench } from './report.js';
export * from './types.js';
export {
  fmtPercent,
  fmtRatio,
  fmtSpread,
  fmtValue,
  formatReport,
  textTable,
} from './format.js';
export { renderSvg } from './svg.js';
// Types the report's fields name, exported for callers and the API reference.
export type { KernelImpl, KernelImplResult, KernelPlan, KernelStatus } from './kernel-timing.js';
export type { MachineInfo } from './machine.js';
export type { Budget, TimePlan, Timing } from './measure.js';
export type { ModelMode } from './models.js';
export type { ImportFn } from './peers/tfjs.js';
export type {
  BenchCase,
  ConvCase,
  ConvDirection,
  EltwiseCase,
  GemmCase,
  PoolCase,
} from './shapes.js';
