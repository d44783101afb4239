// Where the dev benchmarks write their JSON: bench/results/<name>.json, or <name>.quick.json
// for a --quick run so a smoke run never overwrites the figures the README quotes.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function resultsPath(name: string, quick: boolean): string {
  // compiled to dist/bench/: the repository root is two folders up
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return path.join(root, 'bench', 'results', `${name}${quick ? '.quick' : ''}.json`);
}

/** Writes json to --out (outArg) or to resultsPath(name, quick); returns the path written. */
export function writeResults(outArg: string | undefined, name: string, quick: boolean, json: unknown): string {
  const out = outArg ? path.resolve(outArg) : resultsPath(name, quick);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  return out;
}
