// Every TypeScript snippet in README.md runs as printed: each ```ts block is compiled with
// TypeScript (a block holding several files marks each with a `// name.ts` line), written next
// to the package so `import ... from 'simdgrad'` resolves to this build, and run in a child
// process with SIMDGRAD_DATA_LIMIT capping the data sets (the loop snippet then takes a few
// steps per epoch). A snippet that loads weights finds them made by `simdgrad train --save`;
// one that reads an image folder under photos/ finds synthetic shapes (examples/shapes.ts) there.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createModel, init, manualSeed, serializeSafetensors } from '../src/index.js';
import { writeShapesFolder } from '../examples/shapes.js';

const t = suite('readme');
await init();
const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const blocks = [...readme.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)].map((m) => m[1]);

function run(
  file: string,
  cwd: string,
  args: string[] = []
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [file, ...args],
      {
        cwd,
        timeout: 300_000,
        env: { ...process.env, SIMDGRAD_DATA_LIMIT: '512' },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      }
    );
  });
}

/** The files of a block: `// name.ts` lines start a new one; the last file is the program. */
function files(block: string): { name: string; code: string }[] {
  const out: { name: string; code: string }[] = [];
  let current = { name: 'snippet.ts', code: '' };
  for (const line of block.split('\n')) {
    const m = /^\/\/ ([\w-]+\.ts)$/.exec(line);
    if (m) {
      if (current.code.trim()) out.push(current);
      current = { name: m[1], code: '' };
    } else {
      current.code += `${line}\n`;
    }
  }
  out.push(current);
  return out;
}

t('README.md has the snippets this test expects', () => {
  assert.ok(blocks.length >= 3, `found ${blocks.length} ts blocks`);
});

blocks.forEach((block, i) => {
  const first = block.split('\n').find((l) => l.trim() && !l.startsWith('//')) ?? '';
  t(`README block ${i + 1} runs as printed (${first.slice(0, 60)})`, async () => {
    const dir = `${root}dist/readme-snippets/${i + 1}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const fs = files(block);
    for (const f of fs) {
      const js = ts.transpileModule(f.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(`${dir}/${f.name.replace(/\.ts$/, '.js')}`, js);
    }
    const main = `${dir}/${fs[fs.length - 1].name.replace(/\.ts$/, '.js')}`;
    const weights = /loadModel\('([\w.-]+\.safetensors)'\)/.exec(block)?.[1];
    if (weights) {
      await run(`${root}dist/src/cli/main.js`, dir, [
        'train',
        '--model',
        'small-cnn',
        '--epochs',
        '1',
        '--workers',
        '1',
        '--save',
        weights,
        '--log',
        `${dir}/train-log.json`,
      ]);
    }
    // A file "saved from PyTorch" for a zoo architecture: the same keys, from our twin.
    for (const [, file, name] of block.matchAll(
      /loadModel\('([\w.-]+\.safetensors)', '([\w-]+)'\)/g
    )) {
      manualSeed(1);
      const model = createModel(name);
      writeFileSync(`${dir}/${file}`, serializeSafetensors(model.stateDict()));
      model.dispose();
    }
    // An ImageFolder tree for the fine-tuning snippet: a few synthetic shapes per class.
    if (block.includes("imageFolder('photos/")) {
      await writeShapesFolder(`${dir}/photos`, { train: 8, val: 4 });
    }
    const { stdout } = await run(main, dir);
    if (block.includes('loss.backward()') && block.includes('memory()')) {
      assert.match(stdout, /epoch 3 loss \d+\.\d+, \d+\.\d MiB live/);
    }
    if (weights) assert.match(stdout, /Float32Array/);
  });
});

t.run();
