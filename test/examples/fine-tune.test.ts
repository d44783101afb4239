// examples/fine-tune.ts end to end on its --quick synthetic shapes, with the ResNet-18 state dict
// torchvision saved (test/fixtures/interop/resnet18.safetensors.gz, scripts/fixtures/interop.py):
// head only, the saved backbone (weights and batch-norm statistics: it stays in eval mode) equals
// the file's and the new 3-class head learned;
// the saved file loads back with strict keys and gives the same predictions; training every
// layer classifies the held-out images well above chance (3 classes).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { init, noGrad, parseSafetensors, tensor, tidy } from '../../src/index.js';
import { resnet18WithHead } from '../../examples/finetune-model.js';

const t = suite('example-fine-tune');
await init();
const weights = fileURLToPath(
  new URL('../../../test/fixtures/interop/resnet18.safetensors.gz', import.meta.url)
);

function runExample(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL('../../examples/fine-tune.js', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [file, '--quick', '--weights', weights, ...args],
      { timeout: 300_000 },
      (err, stdout, stderr) => {
        if (err)
          reject(new Error(`examples/fine-tune.js failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      }
    );
  });
}

const RESULT =
  /^held-out accuracy (\d+\.\d\d)% \(24 images, 3 classes; 48 training images, 64x64, (head only|all layers), 2 workers, (\d+\.\d) img\/s\)$/m;

t(
  'head only: the backbone is saved as loaded, the new head learned, the file loads back',
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'simdgrad-fine-tune-'));
    try {
      const { stdout, stderr } = await runExample(['--out', out]);
      const m = RESULT.exec(stdout);
      assert.ok(m && m[2] === 'head only', `unexpected output: ${stdout}`);
      assert.match(stdout, /loaded .*resnet18\.safetensors\.gz: new head fc\.weight, fc\.bias/);
      assert.match(stdout, /ONNX export skipped|exported .*\.onnx/);
      assert.match(stderr, /epoch 2\/2 train loss/);
      const before = parseSafetensors(
        new Uint8Array(gunzipSync(new Uint8Array(readFileSync(weights))))
      ).tensors;
      const saved = parseSafetensors(
        new Uint8Array(readFileSync(join(out, 'resnet18-finetuned.safetensors')))
      );
      const after = saved.tensors;
      assert.equal(saved.metadata.classes, 'circle,square,triangle');
      assert.equal(after['fc.weight'].shape, [3, 512]);
      let checked = 0;
      for (const [k, v] of Object.entries(after)) {
        if (k.startsWith('fc.')) continue;
        assert.equal(v.data, before[k].data, `${k} changed although frozen`);
        checked++;
      }
      assert.is(checked, 120, 'every backbone entry compared');
      // strict load into a fresh model: same predictions as a second load (and finite)
      const x = tensor(
        Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i)),
        [2, 3, 64, 64]
      );
      const outputs = [0, 1].map(() => {
        const model = resnet18WithHead(3);
        model.loadStateDict(after);
        model.eval();
        const y = noGrad(() => tidy(() => model.forward(x).toFloat32Array()));
        model.dispose();
        return y;
      });
      assert.equal(outputs[0], outputs[1]);
      assert.ok(outputs[0].every(Number.isFinite));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
);

t('all layers: held-out accuracy well above chance', async () => {
  const out = mkdtempSync(join(tmpdir(), 'simdgrad-fine-tune-'));
  try {
    const { stdout } = await runExample(['--all', '--out', out]);
    const m = RESULT.exec(stdout);
    assert.ok(m && m[2] === 'all layers', `unexpected output: ${stdout}`);
    assert.ok(Number(m![1]) >= 60, `held-out accuracy ${m![1]}% (chance 33%)`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

t.run();
