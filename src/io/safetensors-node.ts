// Node side of src/io/safetensors.ts: load a file, and save one atomically (temporary file in the
// real target's directory, fsync, rename over the target, fsync the directory), so a crash or a
// failed write mid-save leaves the previous file whole. Symlinks are followed, anything but a
// regular file is refused, and temporaries a crashed save left behind are removed by the next.
// Tests: test/io/safetensors-node.test.ts, test/reliability/paths.test.ts.
import { randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  type FileHandle,
} from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  parseSafetensors,
  serializeSafetensors,
  type SafetensorsContents,
  type TensorData,
} from './safetensors.js';

// Makes the rename itself durable. Directories cannot be opened for fsync on Windows; there the
// rename is as durable as the OS makes it.
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort by design: the data itself was already fsynced before the rename.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Where a write to path really lands: symlinks followed (a dangling one to the file it names, as
 * the shell's `>` would), and what is there now (null when nothing). Throws for anything that is
 * not a regular file, so a save never replaces a device, a pipe or a directory.
 */
export async function resolveTarget(path: string): Promise<{ path: string; stats: Stats | null }> {
  let at = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = await lstat(at);
    } catch (e) {
      // ENOTDIR: a parent is a file; creating the directory or the file will say so.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { path: at, stats: null };
      throw e;
    }
    if (st.isSymbolicLink()) {
      at = resolve(dirname(at), await readlink(at));
      continue;
    }
    if (!st.isFile()) {
      throw new Error(
        `${at === resolve(path) ? '' : `(the symlink's target ${at}) `}is ` +
          `${kindOf(st)}; refusing to replace it`
      );
    }
    return { path: at, stats: st };
  }
  throw new Error('too many levels of symbolic links');
}

function tempName(target: string): string {
  return `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.<name>.<pid>.<12 hex>.tmp` files beside target whose process is gone: what a save
 * killed mid-write leaves. A live process's temporary (a save running now) is left alone. */
async function removeStaleTemps(target: string): Promise<void> {
  const dir = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const f of entries) {
    if (!f.startsWith(`.${name}.`) || !f.endsWith('.tmp')) continue;
    const m = /^\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(f.slice(name.length + 1));
    if (!m || isAlive(Number(m[1]))) continue;
    await rm(join(dir, f), { force: true }).catch(() => undefined);
  }
}

/**
 * Checks before a long run that path can be written at the end: its directory exists (created
 * if missing) and takes a new file, and path is absent or a regular file (symlinks followed).
 * Throws an Error whose message says what is wrong (the caller prefixes the option's name).
 */
export async function checkWritable(path: string): Promise<void> {
  if (path === '') throw new Error('the path is empty');
  const target = (await resolveTarget(path)).path;
  const dir = dirname(target);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the directory ${dir}: ${(e as Error).message}`);
  }
  const probe = join(dir, tempName(target));
  try {
    const fh = await open(probe, 'wx');
    await fh.close();
  } catch (e) {
    throw new Error(`cannot write in ${dir}: ${(e as Error).message}`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/**
 * Writes `bytes` to `path` so that `path` holds either its old content or all of `bytes`, never
 * a mix: a temporary file beside the real target (same filesystem, so rename is atomic) is
 * written, fsynced and renamed over it; then the directory is fsynced. A symlink at path keeps
 * pointing at the (replaced) target; the target's permission bits are kept. On failure the
 * temporary file is removed and the error names `path`.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  who = 'writeFileAtomic'
): Promise<void> {
  let tmp: string | undefined;
  let fh: FileHandle | undefined;
  let dir: string;
  try {
    const target = await resolveTarget(path);
    dir = dirname(target.path);
    await removeStaleTemps(target.path);
    tmp = join(dir, tempName(target.path));
    fh = await open(tmp, 'wx');
    if (target.stats) await fh.chmod(target.stats.mode & 0o7777);
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = undefined;
    // A regular file may have become something else while we wrote; renaming over a directory
    // fails by itself, a device or pipe would be replaced: look again.
    const now = await lstat(target.path).catch(() => null);
    if (now && !now.isFile()) throw new Error(`is now ${kindOf(now)}; refusing to replace it`);
    await rename(tmp, target.path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    if (tmp) await rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(
      `${who}: ${path}: ${(e as Error).message}; the previous file, if any, is ` + 'unchanged',
      { cause: e }
    );
  }
  await syncDir(dir);
}

/**
 * Saves `tensors` (each as its dtype, F32 by default) and `metadata` as a safetensors file,
 * atomically (see writeFileAtomic).
 * Invalid tensors are reported before anything touches the disk.
 *
 * @example
 * await saveSafetensors('mnist-cnn.safetensors', model.stateDict(), { epoch: '3' });
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, TensorData>,
  metadata?: Record<string, string>
): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = serializeSafetensors(tensors, metadata);
  } catch (e) {
    throw new Error(`saveSafetensors: ${path}: nothing written: ${(e as Error).message}`, {
      cause: e,
    });
  }
  await writeFileAtomic(path, bytes, 'saveSafetensors');
}

/**
 * Reads a safetensors file (see parseSafetensors: floats as f32, integers as numbers); errors name `path`.
 *
 * @example
 * const { tensors, metadata } = await loadSafetensors('mnist-cnn.safetensors');
 */
export async function loadSafetensors(path: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    const buf = await readFile(path);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.message;
    throw new Error(`loadSafetensors: ${path}: ${why}`, { cause: e });
  }
  return parseSafetensors(bytes, path);
}
