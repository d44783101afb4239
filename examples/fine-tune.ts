// Fine-tune torchvision's ResNet-18 on your own images: load a state dict saved by torchvision
// (safetensors, optionally gzipped), replace the classifier head, freeze the backbone, train the
// head on an ImageFolder tree (root/train/<class>/*.png|jpg, root/val/<class>/...) on 2 worker
// threads with RandomResizedCrop + flip + ImageNet normalisation, report the held-out accuracy,
// save the weights (safetensors) and export ONNX where the library has exportOnnx.
//
//   node dist/examples/fine-tune.js --weights resnet18.safetensors --data photos [--size 64]
//     [--epochs 4] [--workers 2] [--out fine-tuned] [--all] [--quick]
//
// Without --data, or with a --data folder that does not exist yet, it writes a synthetic set
// (examples/shapes.ts: circles, squares, triangles). Without --weights the backbone keeps its
// random initialisation (no download is possible here; write torchvision's weights with
// `safetensors.torch.save_file(resnet18(weights=...).state_dict(), 'resnet18.safetensors')`).
// --all trains every layer instead of the head only. --quick: 16 + 8 images per class, 2 epochs.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as sg from 'simdgrad';
import {
  Trainer,
  data,
  evaluate,
  init,
  manualSeed,
  optim,
  parseSafetensors,
  serializeSafetensors,
} from 'simdgrad';
import { resnet18WithHead } from './finetune-model.js';
import { writeShapesFolder } from './shapes.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const size = Number(opt('size', '64'));
const epochs = Number(opt('epochs', quick ? '2' : '4'));
const workers = Number(opt('workers', '2'));
const outDir = opt('out', join(tmpdir(), 'simdgrad-fine-tuned'));

await init();
const T = data.transforms;

// No --data: synthetic shapes in a temporary folder, removed at the end; --data naming a folder
// that does not exist: synthetic shapes written there and kept.
let root = opt('data', '');
const temporary = !root;
if (temporary || !existsSync(root)) {
  root ||= await mkdtemp(join(tmpdir(), 'simdgrad-shapes-'));
  await writeShapesFolder(root, quick ? { train: 16, val: 8 } : { train: 40, val: 20 }, size);
  console.log(`wrote synthetic shapes (PNG and JPEG) to ${root}`);
}

// Train images are kept a little larger than the model's input, for RandomResizedCrop to cut
// from; held-out images are resized and centre-cropped as torchvision's eval recipe does.
const keep = Math.round(size * 1.14);
const train = await data.imageFolder(join(root, 'train'), {
  transform: new T.Compose([new T.Resize(keep), new T.CenterCrop(keep)]),
});
const val = await data.imageFolder(join(root, 'val'), {
  transform: new T.Compose([new T.Resize(keep), new T.CenterCrop(size), new T.Normalize()]),
});
const trainTransform = new T.Compose([
  new T.RandomResizedCrop(size, { scale: [0.6, 1] }),
  new T.RandomHorizontalFlip(),
  new T.Normalize(),
]);
const classes = train.classNames.length;

const all = args.includes('--all');
manualSeed(1);
const model = resnet18WithHead(classes, !all);
const weights = opt('weights', '');
if (weights) {
  let bytes = new Uint8Array(await readFile(weights));
  if (weights.endsWith('.gz')) bytes = new Uint8Array(gunzipSync(bytes));
  const sd = parseSafetensors(bytes, weights).tensors;
  // The file's head is torchvision's 1000-class one: load everything else, as PyTorch's
  // load_state_dict(strict=False) would after `del sd['fc.weight'], sd['fc.bias']`.
  delete sd['fc.weight'];
  delete sd['fc.bias'];
  const { missingKeys, unexpectedKeys } = model.loadStateDict(sd, { strict: false });
  console.log(
    `loaded ${weights}: new head ${missingKeys.join(', ')}` +
      (unexpectedKeys.length ? `; unused ${unexpectedKeys.join(', ')}` : '')
  );
} else {
  console.log('no --weights: the backbone keeps its random initialisation');
}
if (!all) {
  for (const [name, p] of model.namedParameters()) p.requiresGrad = name.startsWith('fc.');
}
const trainable = model.parameters().filter((p) => p.requiresGrad);

const trainer = new Trainer({
  model,
  optimizer: new optim.AdamW(trainable, { lr: all ? 1e-3 : 1e-2 }),
  train,
  test: val,
  transform: trainTransform,
  epochs,
  batchSize: 16,
  seed: 1,
  workers,
  replica: {
    model: {
      module: new URL('./finetune-model.js', import.meta.url),
      export: 'resnet18WithHead',
      args: [classes, !all],
    },
  },
});
const history = await trainer.fit();
const speed = history.map((h) => h.imagesPerSecond);
const acc = evaluate(model, val, 50).accuracy ?? 0;

await mkdir(outDir, { recursive: true });
const saved = join(outDir, 'resnet18-finetuned.safetensors');
await writeFile(
  saved,
  serializeSafetensors(model.stateDict(), {
    classes: train.classNames.join(','),
    input: `3x${size}x${size}`,
  })
);
const exportOnnx = (sg as Record<string, unknown>).exportOnnx as
  | ((m: unknown, x: unknown) => Uint8Array)
  | undefined;
if (exportOnnx) {
  model.eval();
  const onnx = exportOnnx(model, sg.zeros([1, 3, size, size]));
  await writeFile(join(outDir, 'resnet18-finetuned.onnx'), onnx);
  console.log(`exported ${join(outDir, 'resnet18-finetuned.onnx')} (${onnx.length} bytes)`);
} else {
  console.log('ONNX export skipped: this build of simdgrad has no exportOnnx');
}
console.log(`saved ${saved}`);
if (temporary) await rm(root, { recursive: true });
console.log(
  `held-out accuracy ${(100 * acc).toFixed(2)}% (${val.n} images, ${classes} classes; ` +
    `${train.n} training images, ${size}x${size}, ${all ? 'all layers' : 'head only'}, ` +
    `${trainer.workers} worker${trainer.workers > 1 ? 's' : ''}, ${speed[speed.length - 1].toFixed(1)} img/s)`
);
