// What the three detailed suites of `simdgrad bench --suite kernels|train|infer` share (once
// the dev scripts `npm run bench:kernels`, `bench:train`, `bench:infer`, which now run them):
// their options, progress lines and where their JSON goes. Tests: test/bench/cli.test.ts.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTfjs, NotInstalledError, type TfjsInfo } from '../peers/tfjs.js';
import type { PeerName } from '../types.js';

export interface SuiteOptions {
  /** Fewer samples and cases: a smoke run. */
  quick: boolean;
  /** The TF.js peers to run beside ours. */
  peers: PeerName[];
  /** Where the JSON goes (default: resultsPath()). */
  json?: string;
  /** kernels: case-id prefixes to run (default: every case). */
  only?: string[];
  /** train, infer: models (default: the suite's). */
  models?: string[];
  /** train: batch sizes. */
  batches?: number[];
  /** train: worker counts (1 = this thread alone). */
  workers?: number[];
}

/** The command line of a dev benchmark script (bench/torch.ts, bench/scaling.ts,
 * bench/time-to-accuracy.ts; `simdgrad bench --suite torch|scaling|accuracy` builds one from its
 * checked options): --quick, flags and `--name value` / `--name=value` options. */
export function scriptArgs(argv = process.argv.slice(2)): {
  quick: boolean;
  flag(name: string): boolean;
  value(name: string): string | undefined;
} {
  return {
    quick: argv.includes('--quick'),
    flag: (name: string): boolean => argv.includes(`--${name}`),
    value(name: string): string | undefined {
      const eq = argv.find((a) => a.startsWith(`--${name}=`));
      if (eq) return eq.slice(name.length + 3);
      const i = argv.indexOf(`--${name}`);
      return i >= 0 ? argv[i + 1] : undefined;
    },
  };
}

/** Runs main when the module at url is the process's entry point (`node dist/bench/x.js`), not
 * when `simdgrad bench --suite ...` or a test imports it; a failure sets exit code 1. */
export function runIfMain(url: string, main: () => Promise<unknown>): void {
  const entry = process.argv[1];
  if (!entry || url !== pathToFileURL(path.resolve(entry)).href) return;
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}

export function progress(msg: string): void {
  process.stderr.write(`  .. ${msg}\n`);
}

/** bench/results/<name>.json of this repository (<name>.quick.json for a quick run, so a smoke
 * run never overwrites the figures the README quotes); undefined in an installed package. */
export function resultsPath(name: string, quick: boolean): string | undefined {
  // compiled to dist/bench/suites/: the repository root is three folders up
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const dir = path.join(root, 'bench', 'results');
  if (!existsSync(dir)) return undefined;
  return path.join(dir, `${name}${quick ? '.quick' : ''}.json`);
}

/** What writeResults(o, name) would overwrite, parsed; undefined when absent or unreadable. */
export function readResults(o: SuiteOptions, name: string): unknown {
  const file = o.json ? path.resolve(o.json) : resultsPath(name, o.quick);
  if (!file || !existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes json to o.json or to resultsPath(name, quick); returns the path written, if any. */
export function writeResults(o: SuiteOptions, name: string, json: unknown): string | undefined {
  const out = o.json ? path.resolve(o.json) : resultsPath(name, o.quick);
  if (!out) return undefined;
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  return out;
}

/** TF.js, with its wasm backend when peers name it; undefined when it is not installed. */
export async function loadPeers(peers: readonly PeerName[]): Promise<TfjsInfo | undefined> {
  try {
    return await loadTfjs({ wasm: peers.includes('tfjs-wasm') });
  } catch (e) {
    if (e instanceof NotInstalledError) return undefined;
    throw e;
  }
}
