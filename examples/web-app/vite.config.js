import { defineConfig } from 'vite';

// Cross-origin isolation: without these two headers the page has no SharedArrayBuffer, and
// simdgrad trains on one thread (sharedMemoryProblem() says why).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
});
