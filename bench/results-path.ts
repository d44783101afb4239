// Where the dev benchmarks write their JSON: bench/results/<name>.json, or <name>.quick.json
// for a --quick run so a smoke run never overwrites the figures the README quotes.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function resultsPath(name: string, quick: boolean): string {
  // compiled to dist/bench/: the repository root is two folders up
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return path.join(root, 'bench', 'results', `${name}${quick ? '.quick' : ''}.json`);
}
