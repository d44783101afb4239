// saveSafetensors / loadSafetensors (src/io/safetensors-node.ts): files equal serializeSafetensors'
// bytes, and a save that fails (invalid tensor; a write refused by the OS under `ulimit -f`; the
// process killed mid-write) leaves the previous file byte-for-byte intact.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors-node.js';
import { rejectsWith } from '../data/expect.js';

const t = suite('safetensors-node');
const tmp = mkdtempSync(join(tmpdir(), 'simdgrad-st-'));
let caseNo = 0;
const freshDir = (): string => {
  const d = join(tmp, `case${caseNo++}`);
  mkdirSync(d);
  return d;
};

const OLD = { w: { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } };
const oldBytes = serializeSafetensors(OLD, { v: 'old' });

function expectSame(got: Uint8Array, want: Uint8Array, label: string): void {
  if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
    throw new Error(
      `${label}: file has ${got.length} bytes, not the expected ` + `${want.length}-byte content`
    );
  }
}

function onlyModel(dir: string): void {
  const files = readdirSync(dir);
  if (files.join() !== 'model.safetensors') throw new Error(`${dir} holds ${files.join(', ')}`);
}

t('save, load: file = serializeSafetensors output; overwrite; no temporary left', async () => {
  const dir = freshDir();
  const path = join(dir, 'model.safetensors');
  await saveSafetensors(path, OLD, { v: 'old' });
  expectSame(new Uint8Array(readFileSync(path)), oldBytes, 'first save');
  const next = {
    w: { shape: [3], data: Float32Array.of(-1, 0.5, 7) },
    b: { shape: [1], data: Float32Array.of(9) },
  };
  await saveSafetensors(path, next);
  const { tensors, metadata } = await loadSafetensors(path);
  if (
    Object.keys(metadata).length !== 0 ||
    Array.from(tensors.w.data).join() !== '-1,0.5,7' ||
    tensors.b.data[0] !== 9
  ) {
    throw new Error(`loaded ${JSON.stringify(Object.keys(tensors))}, w ${tensors.w.data}`);
  }
  onlyModel(dir);
});

t('save with an invalid tensor: error names the path, old file intact', async () => {
  const dir = freshDir();
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, oldBytes);
  const bad = { w: { shape: [3, 3], data: new Float32Array(4) } };
  await rejectsWith(
    () => saveSafetensors(path, bad),
    [`saveSafetensors: ${path}: nothing written`, 'tensor "w"', 'data.length (4)'],
    'invalid tensor'
  );
  expectSame(new Uint8Array(readFileSync(path)), oldBytes, 'after invalid save');
  onlyModel(dir);
});

t('save over a directory: the rename fails, error names the path, temporary removed', async () => {
  const dir = freshDir();
  const path = join(dir, 'taken');
  mkdirSync(path);
  writeFileSync(join(path, 'keep'), 'x');
  await rejectsWith(
    () => saveSafetensors(path, OLD),
    [`saveSafetensors: ${path}: `, 'previous file'],
    'rename onto a directory'
  );
  if (readdirSync(dir).join() !== 'taken') throw new Error(`dir holds ${readdirSync(dir)}`);
});

// A child process saves 1 MiB over a 0.1 KiB file. 'efbig': its file size is limited to 8 KiB
// (`ulimit -f`, SIGXFSZ ignored), so the OS refuses the write with EFBIG. 'crash': its
// FileHandle.writeFile writes half the bytes and then SIGKILLs the process, a crash mid-write.
function saveInChild(path: string, mode: 'efbig' | 'crash'): ReturnType<typeof spawnSync> {
  const mod = new URL('../../src/io/safetensors-node.js', import.meta.url).href;
  const script = join(tmp, `child-${caseNo}.mjs`);
  const crash = `import { open } from 'node:fs/promises';
const probe = await open(${JSON.stringify(script)}, 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
proto.writeFile = async function (data) {
  await this.write(data.subarray(0, data.length >> 1));
  process.kill(process.pid, 'SIGKILL');
};
`;
  writeFileSync(
    script,
    `${mode === 'crash' ? crash : ''}
const { saveSafetensors } = await import(${JSON.stringify(mod)});
const big = { shape: [262144], data: new Float32Array(262144).fill(1) };
try {
  await saveSafetensors(${JSON.stringify(path)}, { big });
  process.stdout.write('saved');
} catch (e) {
  process.stdout.write(e.message);
}
`
  );
  const limit = mode === 'efbig' ? 'trap "" XFSZ; ulimit -f 8 && ' : '';
  return spawnSync('bash', ['-c', `${limit}exec "$0" "$1"`, process.execPath, script], {
    encoding: 'utf8',
  });
}

const posix = process.platform !== 'win32' && spawnSync('bash', ['-c', 'true']).status === 0;

t('save failing with EFBIG mid-write: error names the path, old file intact, no temporary', () => {
  if (!posix) return;
  const dir = freshDir();
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, oldBytes);
  const r = saveInChild(path, 'efbig');
  const out = String(r.stdout);
  if (
    !out.includes(`saveSafetensors: ${path}: EFBIG`) ||
    !out.includes('previous file, if any, is unchanged')
  ) {
    throw new Error(`child said "${out}", stderr "${String(r.stderr)}"`);
  }
  expectSame(new Uint8Array(readFileSync(path)), oldBytes, 'after EFBIG');
  onlyModel(dir);
});

t('save killed mid-write (SIGKILL after half the bytes): old file intact, stray temporary', () => {
  if (!posix) return;
  const dir = freshDir();
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, oldBytes);
  const r = saveInChild(path, 'crash');
  if (r.signal !== 'SIGKILL') {
    throw new Error(
      `child was not killed: status ${r.status}, signal ${r.signal}, ` + `out "${String(r.stdout)}"`
    );
  }
  expectSame(new Uint8Array(readFileSync(path)), oldBytes, 'after crash');
  const stray = readdirSync(dir).filter((f) => f !== 'model.safetensors');
  if (stray.length !== 1 || !/^\.model\.safetensors\.\d+\.[0-9a-f]+\.tmp$/.test(stray[0])) {
    throw new Error(`expected one stray temporary file, dir holds ${readdirSync(dir)}`);
  }
});

t('load errors name the file: missing, truncated', async () => {
  const dir = freshDir();
  const missing = join(dir, 'missing.safetensors');
  await rejectsWith(
    () => loadSafetensors(missing),
    [`loadSafetensors: ${missing}: no such file`],
    'missing'
  );
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, oldBytes.subarray(0, oldBytes.length - 3));
  await rejectsWith(
    () => loadSafetensors(cut),
    [`${cut}: tensor "w"`, 'runs past the data section'],
    'cut'
  );
});

t.after(() => rmSync(tmp, { recursive: true, force: true }));
t.run();
