// The entry for Vite and webpack: both follow simdgrad's `new URL(..., import.meta.url)` to its
// .wasm files and its Web Worker, so init() needs no options.
import { start } from './app.js';

start();
