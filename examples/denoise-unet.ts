// Denoising MNIST with a small U-Net (unet.ts): inputs are digits with Gaussian noise (std 0.5,
// clipped to [0, 1]), targets the clean digits; mean squared error (F.mseLoss, a library loss, so
// workers need no option for it), trained by the Trainer on 2 worker threads. Prints the test MSE
// beside the MSE of the noisy input itself, the baseline to beat.
// `node dist/examples/denoise-unet.js [--quick]` after `npm run build`: one epoch over the 60,000
// training images (cosine learning rate); --quick trains on 1,000 (test/examples/ runs it so).
// Measured figures: README, "More architectures".
import { F, Trainer, data, init, manualSeed, optim } from 'simdgrad';
import { UNet } from './unet.js';

const quick = process.argv.includes('--quick');
const NOISE_STD = 0.5;
await init();

/** Noisy copies of `clean` (a fixed seed per split, so every run sees the same noise). */
function addNoise(clean: Float32Array, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 2 ** 32;
  };
  const noisy = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()); // Box-Muller
    noisy[i] = Math.min(1, Math.max(0, clean[i] + NOISE_STD * g));
  }
  return noisy;
}

const shapes = { sampleShape: [1, 28, 28], targetShape: [1, 28, 28] };
const mnistTrain = await data.mnist({ split: 'train', limit: quick ? 1000 : undefined });
const mnistTest = await data.mnist({ split: 'test', limit: quick ? 500 : undefined });
// Pixels stay in [0, 1] (no normalisation): the network outputs an image on the same scale.
const train = data.tensorDataset(addNoise(mnistTrain.images, 1), mnistTrain.images, shapes);
const test = data.tensorDataset(addNoise(mnistTest.images, 2), mnistTest.images, shapes);

manualSeed(1);
const model = new UNet(8);
const lr = 2e-3;
const trainer = new Trainer({
  model,
  optimizer: new optim.Adam(model.parameters(), { lr }),
  schedule: { name: quick ? 'constant' : 'cosine', lr },
  train,
  test,
  epochs: 1,
  batchSize: 32,
  workers: 2,
  loss: F.mseLoss,
  // Workers build their own UNet: this names the module and export they import it from.
  replica: { model: { module: new URL('./unet.js', import.meta.url), export: 'UNet', args: [8] } },
});
const history = await trainer.fit();
let baseline = 0;
for (let i = 0; i < test.x.length; i++) baseline += (test.x[i] - test.y[i]) ** 2;
baseline /= test.x.length;
console.log(
  `test MSE ${history[history.length - 1].testLoss!.toFixed(4)} ` +
    `(noisy input: ${baseline.toFixed(4)}; ${model.numParameters()} parameters, ` +
    `${train.n} training images, ${trainer.workers} workers)`
);
