// Faults injected into a spawned `simdgrad` CLI (node --import <this file>), driven by the
// environment; used by test/reliability/cli.test.ts. Nothing here is loaded by the library.
//   SIMDGRAD_FAULT_STEP_MS=m     each single-thread training step takes m ms longer
//   SIMDGRAD_FAULT_SIGINT=k      the process sends itself SIGINT (a Ctrl-C) after step k
//   SIMDGRAD_FAULT_KILL=point:n  SIGKILL in the n-th file save (atomic write), at point:
//     write (half the bytes written), sync (temporary complete, before the rename),
//     rename (renamed, before the directory fsync)
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { Trainer } from '../../src/train/trainer.js';

const env = process.env;
const stepMs = Number(env.SIMDGRAD_FAULT_STEP_MS ?? 0);
const sigintAt = Number(env.SIMDGRAD_FAULT_SIGINT ?? 0);
if (stepMs > 0 || sigintAt > 0) {
  const step = Trainer.prototype.step;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let steps = 0;
  Trainer.prototype.step = function (this: Trainer, ...args: Parameters<typeof step>) {
    const r = step.apply(this, args);
    if (stepMs > 0) Atomics.wait(pause, 0, 0, stepMs);
    if (++steps === sigintAt) process.kill(process.pid, 'SIGINT');
    return r;
  };
}

const [point, nth] = (env.SIMDGRAD_FAULT_KILL ?? '').split(':');
if (point) {
  const die = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  };
  const probe = await open(new URL(import.meta.url), 'r');
  const proto = Object.getPrototypeOf(probe) as {
    writeFile(data: Uint8Array): Promise<void>;
    sync(): Promise<void>;
    write(data: Uint8Array): Promise<unknown>;
  };
  await probe.close();
  let writes = 0;
  let armed = false;
  const writeFile = proto.writeFile;
  proto.writeFile = async function (data: Uint8Array) {
    if (++writes !== Number(nth)) return writeFile.call(this, data);
    if (point === 'write') {
      await this.write(data.subarray(0, data.length >> 1));
      die();
    }
    armed = true;
    return writeFile.call(this, data);
  };
  const sync = proto.sync;
  proto.sync = async function () {
    await sync.call(this);
    if (armed && point === 'sync') die();
  };
  const rename = fs.promises.rename;
  fs.promises.rename = async (from: fs.PathLike, to: fs.PathLike) => {
    await rename(from, to);
    if (armed && point === 'rename') die();
  };
  syncBuiltinESMExports();
}
