// Node side of src/io/safetensors.ts: load a file, and save one atomically (temporary file in the
// target's directory, fsync, rename over the target, fsync the directory), so a crash or a failed
// write mid-save leaves the previous file whole. Tests: test/io/safetensors-node.test.ts.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  parseSafetensors, serializeSafetensors, type SafetensorsContents, type TensorData,
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

/**
 * Writes `bytes` to `path` so that `path` holds either its old content or all of `bytes`, never
 * a mix: a temporary file beside it (same filesystem, so rename is atomic) is written, fsynced and
 * renamed over `path`. On failure the temporary file is removed and the error names `path`.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, who = 'writeFileAtomic'):
  Promise<void> {
  const dir = dirname(resolve(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx');
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`${who}: ${path}: ${(e as Error).message}; the previous file, if any, is ` +
      'unchanged', { cause: e });
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
export async function saveSafetensors(path: string, tensors: Record<string, TensorData>,
  metadata?: Record<string, string>): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = serializeSafetensors(tensors, metadata);
  } catch (e) {
    throw new Error(`saveSafetensors: ${path}: nothing written: ${(e as Error).message}`,
      { cause: e });
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
