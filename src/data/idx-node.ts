// Node side of src/data/idx.ts: read an IDX file from disk, gunzipping it when it starts with the
// gzip magic (whatever its name), and hand the bytes to the pure parser.
// Tests: test/data/idx.test.ts.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { isGzip, parseIdx, type IdxArray } from './idx.js';

/**
 * The IDX bytes of `path`, decompressed if the file is gzip (detected by its 0x1f8b magic, not by
 * the `.gz` suffix). A missing file or a corrupt gzip stream gives an error naming the path.
 *
 * @example
 * const bytes = await readIdxBytes('data/train-labels-idx1-ubyte.gz');
 */
export async function readIdxBytes(path: string): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    const buf = await readFile(path);
    raw = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.message;
    throw new Error(`${path}: cannot read IDX file: ${why}`, { cause: e });
  }
  if (!isGzip(raw)) return raw;
  try {
    const out = gunzipSync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new Error(`${path}: gzip stream is corrupt: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Reads and parses an IDX file of any dtype (see parseIdx); errors name `path`.
 *
 * @example
 * const { shape, data } = await readIdxFile('t10k-images-idx3-ubyte'); // [10000, 28, 28] u8
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  return parseIdx(await readIdxBytes(path), path);
}
