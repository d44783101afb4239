// Reads the PyTorch reference values committed under test/fixtures/ (written by the generators
// in scripts/fixtures/, which need Python and torch; the tests need neither).

import { readFileSync } from 'node:fs';

/** A tensor as the generators write it: shape and row-major values. */
export interface FixtureTensor {
  shape: number[];
  data: number[];
}

/** The cases of test/fixtures/<name>.json. */
export function loadFixture<C = Record<string, unknown>>(name: string): C[] {
  const url = new URL(`../../test/fixtures/${name}.json`, import.meta.url);
  const parsed = JSON.parse(readFileSync(url, 'utf8')) as { cases: C[] };
  return parsed.cases;
}
