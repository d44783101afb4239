// `simdgrad export`: weights saved with their model name become an ONNX file that ONNX Runtime
// runs with the saved model's outputs at two batch sizes; missing or bad options are errors that
// name them; --help documents every option.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  createModel,
  init,
  manualSeed,
  noGrad,
  randn,
  serializeSafetensors,
  tidy,
} from '../../src/index.js';
import { expectClose } from '../util.js';

const t = suite('simdgrad export CLI');
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
await init();

function run(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, 'export', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

t(
  "export --load lenet5.safetensors --onnx: ONNX Runtime gives the saved model's outputs",
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdgrad-onnx-'));
    try {
      manualSeed(12);
      const model = createModel('lenet5');
      const weights = join(dir, 'lenet5.safetensors');
      await writeFile(weights, serializeSafetensors(model.stateDict(), { model: 'lenet5' }));
      const out = join(dir, 'sub', 'lenet5.onnx');
      const r = run('--load', weights, '--onnx', out);
      assert.is(r.status, 0, r.err);
      assert.match(r.out, /lenet5 as ONNX opset 17, input \[batch,1,28,28\]/);
      const s = await ort.InferenceSession.create(new Uint8Array(await readFile(out)), {
        intraOpNumThreads: 1,
      });
      model.eval();
      for (const n of [1, 4]) {
        const x = randn([n, 1, 28, 28]);
        const want = noGrad(() => tidy(() => model.forward(x).toFloat32Array()));
        const res = await s.run({
          input: new ort.Tensor('float32', x.toFloat32Array(), [n, 1, 28, 28]),
        });
        expectClose(res.output.data as Float32Array, want, `lenet5 batch ${n}`, 2e-3);
      }
      await s.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
);

for (const [args, expected] of [
  [['--onnx', 'x.onnx'], '--load <weights.safetensors> is required'],
  [['--load', 'w.safetensors'], '--onnx <out.onnx> is required'],
  [['--load', 'w.safetensors', '--onnx', 'x.onnx', '--opset', '22'], '--opset must be 17 to 21'],
  [['--load', 'w.safetensors', '--onnx', 'x.onnx', '--opset', '16'], '--opset must be >= 17'],
  [['--load', 'w.safetensors', '--onnx', 'x.onnx', '--model', 'nope'], '--model must be one of'],
  [['--load', 'w.safetensors', '--onnx', 'x.onnx', '--bogus'], 'unknown option --bogus'],
  [
    ['--load', '/nonexistent/w.safetensors', '--onnx', join(tmpdir(), 'simdgrad-never.onnx')],
    '/nonexistent/w.safetensors',
  ],
] as [string[], string][]) {
  t(`export ${args.join(' ')}: exit 1 naming it`, () => {
    const r = run(...args);
    assert.is(r.status, 1, r.err);
    assert.ok(r.err.includes(expected), `stderr does not name it: ${r.err}`);
    assert.is(r.out, '');
  });
}

t('export --help lists every option', () => {
  const r = run('--help');
  assert.is(r.status, 0);
  for (const o of [
    '--load',
    '--onnx',
    '--model',
    '--opset',
    '--batch',
    '--static-batch',
    '--input-shape',
  ]) {
    assert.ok(r.out.includes(o), `--help lacks ${o}`);
  }
});

t.run();
