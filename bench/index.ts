// `simdgrad/bench`: the benchmark harness behind `simdgrad bench`, as a subpath export of its own
// so the library (`simdgrad`, src/index.ts) never loads it. Like the library it imports nothing
// by bare name, so a page loads dist/bench/index.js as it is (the demo's "Benchmark this device").
//
//   import { runBench, formatReport } from 'simdgrad/bench';
//   console.log(formatReport(await runBench({ quick: true })));

export { runBench } from './report.js';
export * from './types.js';
export {
  fmtPercent, fmtRatio, fmtSpread, fmtValue, formatReport, textTable,
} from './format.js';
export { renderSvg } from './svg.js';
