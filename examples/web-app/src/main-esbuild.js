// The entry for esbuild, which does not follow `new URL(..., import.meta.url)`: esbuild.mjs
// builds simdgrad's Web Worker entry and copies the .wasm files next to this bundle, and init()
// is told where they are.
import { start } from './app.js';

start({
  wasmBaseUrl: new URL('./', import.meta.url),
  workerUrl: new URL('./web-worker.js', import.meta.url),
});
