// Atomic saves and what is at the path (src/io/safetensors-node.ts): a symlink's target is
// replaced and the link kept (dangling and chained links too), devices, pipes and directories are
// refused untouched, permission bits survive, temporaries of dead saves are removed and a live
// save's are not; checkWritable says what is wrong before a run starts.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkWritable, writeFileAtomic } from '../../src/io/safetensors-node.js';
import { rejectsWith } from '../data/expect.js';

const t = suite('paths');
const root = mkdtempSync(join(tmpdir(), 'simdgrad-paths-'));
let caseNo = 0;
const fresh = (): string => {
  const d = join(root, `case${caseNo++}`);
  mkdirSync(d);
  return d;
};
const NEW = new TextEncoder().encode('new content');
const posix = process.platform !== 'win32';

t(
  'a symlink: the target is replaced, the link stays a link; dangling and chained links too',
  async () => {
    if (!posix) return;
    const dir = fresh();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'w.bin'), 'old');
    symlinkSync(join('real', 'w.bin'), join(dir, 'link'));
    symlinkSync('link', join(dir, 'link2'));
    await writeFileAtomic(join(dir, 'link2'), NEW);
    assert.ok(
      lstatSync(join(dir, 'link')).isSymbolicLink() &&
        lstatSync(join(dir, 'link2')).isSymbolicLink()
    );
    assert.is(readlinkSync(join(dir, 'link')), join('real', 'w.bin'));
    assert.is(readFileSync(join(dir, 'real', 'w.bin'), 'utf8'), 'new content');
    symlinkSync(join(dir, 'real', 'later.bin'), join(dir, 'dangling'));
    await writeFileAtomic(join(dir, 'dangling'), NEW);
    assert.is(readFileSync(join(dir, 'real', 'later.bin'), 'utf8'), 'new content');
    assert.ok(lstatSync(join(dir, 'dangling')).isSymbolicLink());
    assert.equal(
      readdirSync(join(dir, 'real')).sort(),
      ['later.bin', 'w.bin'],
      'no temporaries left'
    );
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    await rejectsWith(
      () => writeFileAtomic(join(dir, 'loop-a'), NEW, 'save'),
      ['save: ', 'too many levels of symbolic links'],
      'a symlink loop'
    );
  }
);

t(
  'a device, a named pipe, a directory, a link to a device: refused and left as they were',
  async () => {
    if (!posix) return;
    const dir = fresh();
    await rejectsWith(
      () => writeFileAtomic('/dev/null', NEW, 'save'),
      ['save: /dev/null: is a character device; refusing to replace it', 'unchanged'],
      '/dev/null'
    );
    assert.ok(statSync('/dev/null').isCharacterDevice());
    symlinkSync('/dev/null', join(dir, 'to-null'));
    await rejectsWith(
      () => writeFileAtomic(join(dir, 'to-null'), NEW),
      ["(the symlink's target /dev/null) is a character device"],
      'link to /dev/null'
    );
    mkdirSync(join(dir, 'sub'));
    await rejectsWith(
      () => writeFileAtomic(join(dir, 'sub'), NEW),
      ['is a directory'],
      'a directory'
    );
    if (spawnSync('mkfifo', [join(dir, 'pipe')]).status === 0) {
      await rejectsWith(
        () => writeFileAtomic(join(dir, 'pipe'), NEW),
        ['is a named pipe'],
        'a fifo'
      );
      assert.ok(lstatSync(join(dir, 'pipe')).isFIFO());
    }
    assert.ok(readdirSync(dir).every((f) => !f.endsWith('.tmp')));
  }
);

t('permission bits of the replaced file are kept', async () => {
  if (!posix) return;
  const dir = fresh();
  const path = join(dir, 'w.bin');
  writeFileSync(path, 'old');
  chmodSync(path, 0o640);
  await writeFileAtomic(path, NEW);
  assert.is(statSync(path).mode & 0o777, 0o640);
});

t(
  "temporaries of dead saves are removed by the next save; a live save's and others are kept",
  async () => {
    const dir = fresh();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const names = [
      `.w.bin.${dead}.0123456789ab.tmp`,
      `.w.bin.${process.pid}.abcdefabcdef.tmp`,
      '.w.bin.notes.tmp',
      `.other.bin.${dead}.0123456789ab.tmp`,
    ];
    for (const n of names) writeFileSync(join(dir, n), 'partial');
    await writeFileAtomic(join(dir, 'w.bin'), NEW);
    assert.equal(readdirSync(dir).sort(), [...names.slice(1), 'w.bin'].sort());
  }
);

t(
  'checkWritable: creates missing directories; names a directory, a file as parent, a device',
  async () => {
    const dir = fresh();
    await checkWritable(join(dir, 'a', 'b', 'w.bin'));
    assert.ok(statSync(join(dir, 'a', 'b')).isDirectory());
    assert.equal(readdirSync(join(dir, 'a', 'b')), [], 'the probe is removed');
    await rejectsWith(() => checkWritable(join(dir, 'a')), ['is a directory'], 'directory');
    writeFileSync(join(dir, 'f'), 'x');
    await rejectsWith(
      () => checkWritable(join(dir, 'f', 'w.bin')),
      ['cannot create the directory'],
      'file as parent'
    );
    if (posix)
      await rejectsWith(() => checkWritable('/dev/null'), ['is a character device'], 'device');
    await rejectsWith(() => checkWritable(''), ['the path is empty'], 'empty');
  }
);

t.after(() => rmSync(root, { recursive: true, force: true }));
t.run();
