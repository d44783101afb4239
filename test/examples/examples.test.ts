// The programs in examples/ run as printed (child processes on their --quick slice): the custom
// CNN class on 2 workers reaches a test accuracy well above chance, the regression on float
// targets beats predicting the mean by far, the denoising U-Net beats its noisy input's MSE and
// the tiny vision transformer classifies above chance.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const t = suite('examples');

function runExample(name: string): Promise<{ stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, '--quick'], { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`examples/${name}.js --quick failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

t('custom-cnn: a custom Module class trained on 2 workers classifies MNIST', async () => {
  const { stdout, stderr } = await runExample('custom-cnn');
  const m =
    /^test accuracy (\d+\.\d\d)% \(\d+ parameters, 2000 training images, 2 workers\)$/m.exec(
      stdout
    );
  assert.ok(m, `unexpected output: ${stdout}`);
  assert.ok(Number(m![1]) > 70, `test accuracy ${m![1]}% (chance 10%)`);
  assert.match(stderr, /epoch 1\/1 train loss/);
});

t('regression: MSE on float targets on 2 workers beats predicting the mean', async () => {
  const { stdout } = await runExample('regression');
  const m = /^test MSE (\d+\.\d+) \(predicting the mean: (\d+\.\d+)\)$/m.exec(stdout);
  assert.ok(m, `unexpected output: ${stdout}`);
  assert.ok(Number(m![1]) < 0.2 * Number(m![2]), `test MSE ${m![1]} vs ${m![2]} for the mean`);
});

t('manual-loop: a loop with no tidy and an eval loop without noGrad run flat', async () => {
  const { stdout } = await runExample('manual-loop');
  const highs = [...stdout.matchAll(/heap high water (\d+\.\d+) MiB/g)].map((m) => Number(m[1]));
  assert.is(highs.length, 7, `unexpected output: ${stdout}`);
  assert.ok(highs[6] <= highs[3] * 1.05 + 0.5, `high water grew: ${highs.join(', ')} MiB`);
  const acc = /test accuracy (\d+\.\d+)%/.exec(stdout);
  assert.ok(acc && Number(acc[1]) > 90, `unexpected output: ${stdout}`);
});

t(
  "denoise-unet: a U-Net with skip connections on 2 workers beats the noisy input's MSE",
  async () => {
    const { stdout, stderr } = await runExample('denoise-unet');
    const m =
      /^test MSE (\d+\.\d+) \(noisy input: (\d+\.\d+); \d+ parameters, 1000 training images, 2 workers\)$/m.exec(
        stdout
      );
    assert.ok(m, `unexpected output: ${stdout}`);
    assert.ok(
      Number(m![1]) < 0.5 * Number(m![2]),
      `test MSE ${m![1]} vs ${m![2]} for the noisy input`
    );
    assert.match(stderr, /epoch 1\/1 train loss/);
  }
);

t('vit: a tiny vision transformer on 2 workers classifies MNIST above chance', async () => {
  const { stdout } = await runExample('vit');
  const m =
    /^test accuracy (\d+\.\d\d)% \(\d+ parameters, 2000 training images, 2 workers, \d+ s\)$/m.exec(
      stdout
    );
  assert.ok(m, `unexpected output: ${stdout}`);
  assert.ok(Number(m![1]) > 25, `test accuracy ${m![1]}% (chance 10%)`);
});

t.run();
