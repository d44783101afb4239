// The demo page's second mode, "Your images": the user drops a few images per class (or picks
// files, or snaps the webcam), trains in the tab on the worker pool the slider sets, and drops
// new images to classify them. Images go through data.fromImages (RGB floats), are kept at
// KEEP x KEEP and cut to SIZE x SIZE by the Trainer's per-step transforms (RandomResizedCrop,
// flip, ImageNet normalisation). The model is a small CNN trained whole, or torchvision's
// ResNet-18 with the user's weights file, backbone frozen and a new head (finetune-model.ts).
// Compiled to dist/web/src/finetune.js; tested by test/browser/finetune.test.ts.

import * as sg from '../../src/index.js';
import { appendLog, byId, errorMessage, find, fmt } from './dom.js';

const SIZE = 64;
const KEEP = 72;
const BATCH = 16;
const T = sg.data.transforms;

/** A class: its card, the images added to it and the input holding its name. */
interface ImageClass {
  el: HTMLElement;
  images: ImageBitmap[];
  name: HTMLInputElement;
}

const ft = {
  classes: [] as ImageClass[],
  model: null as sg.nn.Module | null,
  classNames: [] as string[],
  trainer: null as sg.Trainer | null,
  weights: null as File | null,
  stream: null as MediaStream | null,
  ready: false,
};

const keepTransform = new T.Compose([new T.Resize(KEEP), new T.CenterCrop(KEEP)]);
const evalTransform = new T.Compose([
  new T.Resize(KEEP),
  new T.CenterCrop(SIZE),
  new T.Normalize(),
]);
const trainTransform = new T.Compose([
  new T.RandomResizedCrop(SIZE, { scale: [0.5, 1] }),
  new T.RandomHorizontalFlip(),
  new T.Normalize(),
]);

type Control = HTMLInputElement | HTMLSelectElement | HTMLButtonElement;
const control = (id: string): Control => byId<Control>(id);
const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
const video = (): HTMLVideoElement => byId<HTMLVideoElement>('ft-video');

function setStatus(text: string): void {
  byId('ft-status').textContent = text;
}

function log(line: string): boolean {
  appendLog('ft-log', line);
  return true;
}

// ---- classes and their images ---------------------------------------------------------------

function thumb(bitmap: ImageBitmap): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = 40;
  c.height = 40;
  const s = Math.min(bitmap.width, bitmap.height);
  c.getContext('2d')?.drawImage(
    bitmap,
    (bitmap.width - s) / 2,
    (bitmap.height - s) / 2,
    s,
    s,
    0,
    0,
    40,
    40
  );
  return c;
}

function addClass(name: string): void {
  const index = ft.classes.length;
  const el = document.createElement('div');
  el.className = 'ft-class';
  el.innerHTML = `<input type="text" aria-label="class name">
    <div class="ft-thumbs"></div>
    <div class="ft-buttons">
      <label class="button ghost">Add images<input type="file" accept="image/*" multiple
        hidden></label>
      <button type="button" class="ghost ft-snap" hidden>Snap</button>
      <span class="ft-n">0 images</span>
    </div>`;
  const cls: ImageClass = { el, images: [], name: find(el, 'input[type="text"]') };
  cls.name.value = name;
  const files = find<HTMLInputElement>(el, 'input[type="file"]');
  files.id = `ft-files-${index}`;
  files.addEventListener('change', async () => {
    await addFiles(cls, Array.from(files.files ?? []));
    files.value = '';
  });
  const snapButton = find<HTMLButtonElement>(el, '.ft-snap');
  snapButton.addEventListener('click', () => void snap(cls));
  snapButton.hidden = !ft.stream;
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.classList.add('over');
  });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', async (e) => {
    e.preventDefault();
    el.classList.remove('over');
    await addFiles(cls, Array.from(e.dataTransfer?.files ?? []));
  });
  ft.classes.push(cls);
  byId('ft-classes').append(el);
  updateCounts();
}

function addBitmap(cls: ImageClass, bitmap: ImageBitmap): void {
  cls.images.push(bitmap);
  find(cls.el, '.ft-thumbs').append(thumb(bitmap));
  updateCounts();
}

async function addFiles(cls: ImageClass, files: File[]): Promise<void> {
  for (const f of files) {
    if (!f.type.startsWith('image/')) continue;
    try {
      addBitmap(cls, await createImageBitmap(f));
    } catch (e) {
      log(`could not read ${f.name}: ${errorMessage(e)}`);
    }
  }
}

function updateCounts(): void {
  let total = 0;
  for (const c of ft.classes) {
    find(c.el, '.ft-n').textContent = `${c.images.length} image${c.images.length === 1 ? '' : 's'}`;
    total += c.images.length;
  }
  byId('ft-count').textContent = fmt(total);
  const filled = ft.classes.filter((c) => c.images.length > 0).length;
  const ok = filled >= 2 && filled === ft.classes.length;
  if (!ft.trainer) control('ft-train').disabled = !ft.ready || !ok;
  if (!ft.trainer && !ft.model) {
    setStatus(
      ok
        ? `ready: ${total} images in ${filled} classes`
        : 'add images to every class (at least two classes)'
    );
  }
}

// ---- webcam ---------------------------------------------------------------------------------

async function startCamera(): Promise<void> {
  try {
    ft.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  } catch (e) {
    log(`no webcam: ${errorMessage(e)}`);
    return;
  }
  const v = video();
  v.srcObject = ft.stream;
  v.hidden = false;
  byId('ft-camera').hidden = true;
  byId('ft-predict-camera').hidden = false;
  for (const c of ft.classes) find<HTMLElement>(c.el, '.ft-snap').hidden = false;
}

async function snap(cls: ImageClass): Promise<void> {
  const v = video();
  if (!ft.stream || !v.videoWidth) return;
  addBitmap(cls, await createImageBitmap(v));
}

// ---- models ---------------------------------------------------------------------------------

/** Three conv-BN-ReLU stages (16, 32, 64 channels, max pool between), global average pool, a
 * linear head: an nn.Sequential of library layers, so workers rebuild it with nothing more. */
function smallCnn(classes: number): sg.nn.Sequential {
  const { nn } = sg;
  const stage = (i: number, o: number): sg.nn.Module[] => [
    new nn.Conv2d(i, o, 3, { padding: 1 }),
    new nn.BatchNorm2d(o),
    new nn.ReLU(),
  ];
  return new nn.Sequential(
    ...stage(3, 16),
    new nn.MaxPool2d(2),
    ...stage(16, 32),
    new nn.MaxPool2d(2),
    ...stage(32, 64),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(64, classes)
  );
}

/** torchvision's ResNet-18 from the weights file, its head replaced and its backbone frozen. */
async function resnet18(classes: number): Promise<sg.nn.Module> {
  if (!sg.torchvision) throw new Error('this build of simdgrad has no torchvision models');
  if (!ft.weights) {
    throw new Error('pick a torchvision ResNet-18 weights file (.safetensors) first');
  }
  const { resnet18WithHead } = await import('./finetune-model.js');
  const model = resnet18WithHead(classes);
  const sd = sg.parseSafetensors(
    new Uint8Array(await ft.weights.arrayBuffer()),
    ft.weights.name
  ).tensors;
  delete sd['fc.weight'];
  delete sd['fc.bias'];
  model.loadStateDict(sd, { strict: false });
  for (const [name, p] of model.namedParameters()) p.requiresGrad = name.startsWith('fc.');
  return model;
}

// ---- training -------------------------------------------------------------------------------

function trainingSet(): sg.data.PictureDataset {
  const images: ImageBitmap[] = [];
  const labels: number[] = [];
  ft.classes.forEach((c, k) => {
    for (const b of c.images) {
      images.push(b);
      labels.push(k);
    }
  });
  ft.classNames = ft.classes.map((c, k) => c.name.value.trim() || `class ${k + 1}`);
  return sg.data.fromImages(images, labels, {
    transform: keepTransform,
    classNames: ft.classNames,
  });
}

function setTraining(on: boolean): void {
  const b = byId('ft-train');
  b.textContent = on ? 'Stop' : 'Train';
  b.classList.toggle('stop', on);
  for (const id of ['ft-model', 'ft-epochs', 'ft-add-class', 'ft-weights']) {
    control(id).disabled = on;
  }
  control('ft-workers').disabled = on || Boolean(sg.sharedMemoryProblem());
  document.body.dataset.ft = on ? 'training' : ft.model ? 'trained' : 'idle';
}

async function train(): Promise<void> {
  const kind = byId<HTMLSelectElement>('ft-model').value;
  const workers = Number(input('ft-workers').value);
  const epochs = Math.max(1, Math.min(50, Math.round(Number(input('ft-epochs').value) || 1)));
  let model: sg.nn.Module;
  let data: sg.data.PictureDataset;
  try {
    data = trainingSet();
    sg.manualSeed(1);
    model = kind === 'resnet18' ? await resnet18(data.classes) : smallCnn(data.classes);
  } catch (e) {
    setStatus(`cannot train: ${errorMessage(e)}`);
    document.body.dataset.ft = 'failed';
    return;
  }
  ft.model?.dispose();
  ft.model = null;
  const params = model.parameters().filter((p) => p.requiresGrad);
  const total = epochs * data.n;
  const trainer = new sg.Trainer({
    model,
    optimizer: new sg.optim.AdamW(params, { lr: kind === 'resnet18' ? 1e-2 : 3e-3 }),
    train: data,
    transform: trainTransform,
    epochs,
    batchSize: BATCH,
    seed: 1,
    workers,
    replica:
      kind === 'resnet18'
        ? {
            model: {
              module: new URL('./finetune-model.js', import.meta.url),
              export: 'resnet18WithHead',
              args: [data.classes],
            },
          }
        : undefined,
    out: { write: log },
    onStep: async (r) => {
      byId('ft-ips').textContent = fmt(r.imagesPerSecond, 1);
      byId('ft-loss').textContent = fmt(r.loss, 3);
      byId('ft-acc').textContent = `${fmt((100 * (r.correct ?? 0)) / r.size, 0)}%`;
      byId('ft-progress-bar').style.width = `${(100 * (r.epoch * data.n + r.seen)) / total}%`;
      setStatus(`epoch ${r.epoch + 1}/${epochs} · ${workers} worker${workers > 1 ? 's' : ''}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  });
  ft.trainer = trainer;
  setTraining(true);
  const what = kind === 'resnet18' ? 'ResNet-18 (head)' : 'the small CNN';
  log(
    `training ${what} on ${data.n} images ` +
      `of ${data.classes} classes, ${SIZE}x${SIZE}, ${epochs} epochs, ` +
      `${workers} worker${workers > 1 ? 's' : ''}`
  );
  try {
    const history = await trainer.fit();
    ft.model = model;
    const last = history[history.length - 1];
    setStatus(
      trainer.stopped
        ? 'stopped: predicting with the model so far'
        : `trained: ${fmt(100 * (last?.trainAccuracy ?? 0), 0)}% of the training images right in ` +
            `the last epoch, ${fmt(last?.imagesPerSecond ?? 0, 1)} images/s`
    );
    byId('ft-confidence').textContent = 'drop an image to classify it';
  } catch (e) {
    model.dispose();
    setStatus(`training failed: ${errorMessage(e)}`);
    console.error(e);
  } finally {
    ft.trainer = null;
    setTraining(false);
    if (!ft.model) document.body.dataset.ft = 'failed';
  }
}

// ---- prediction -----------------------------------------------------------------------------

function showProbabilities(p: Float32Array): void {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  byId('ft-prediction').textContent = ft.classNames[best];
  byId('ft-confidence').textContent = `${fmt(100 * p[best], 1)}% sure`;
  document.body.dataset.ftPrediction = ft.classNames[best];
  byId('ft-bars').replaceChildren(
    ...ft.classNames.map((name, k) => {
      const row = document.createElement('div');
      row.innerHTML = '<span></span><i></i><em></em>';
      find(row, 'span').textContent = name;
      find<HTMLElement>(row, 'i').style.width = `${Math.max(1, 100 * p[k])}%`;
      find(row, 'em').textContent = `${fmt(100 * p[k], 0)}%`;
      return row;
    })
  );
}

function classify(source: ImageBitmap): void {
  const view = byId<HTMLCanvasElement>('ft-predict-view');
  const g = view.getContext('2d');
  g?.clearRect(0, 0, view.width, view.height);
  g?.drawImage(source, 0, 0, view.width, view.height);
  if (!ft.model) {
    byId('ft-confidence').textContent = 'train a model first';
    return;
  }
  const x = sg.data.fromImages([source], [0], { transform: evalTransform });
  showProbabilities(sg.predict(ft.model, x.images, { sampleShape: [3, SIZE, SIZE] }));
}

async function classifyFile(file: File | undefined): Promise<void> {
  if (!file?.type.startsWith('image/')) return;
  classify(await createImageBitmap(file));
}

// ---- wiring ---------------------------------------------------------------------------------

for (const b of Array.from(byId('modes').querySelectorAll('button'))) {
  b.addEventListener('click', () => {
    document.body.dataset.mode = b.dataset.mode;
    for (const o of Array.from(byId('modes').querySelectorAll('button'))) {
      o.setAttribute('aria-pressed', String(o === b));
    }
  });
}
byId('ft-add-class').addEventListener('click', () => addClass(`class ${ft.classes.length + 1}`));
byId('ft-model').addEventListener('change', () => {
  byId('ft-weights-label').hidden = byId<HTMLSelectElement>('ft-model').value !== 'resnet18';
});
input('ft-weights').addEventListener('change', () => {
  ft.weights = input('ft-weights').files?.[0] ?? null;
  if (ft.weights) log(`ResNet-18 weights: ${ft.weights.name}`);
});
input('ft-workers').addEventListener('input', () => {
  byId('ft-workers-out').textContent = input('ft-workers').value;
});
byId('ft-controls').addEventListener('submit', (e) => {
  e.preventDefault();
  if (ft.trainer) {
    ft.trainer.stop();
    setStatus('stopping after this step…');
  } else {
    void train();
  }
});
input('ft-predict-file').addEventListener('change', async () => {
  const el = input('ft-predict-file');
  await classifyFile(el.files?.[0]);
  el.value = '';
});
const drop = byId('ft-predict-drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  await classifyFile(e.dataTransfer?.files?.[0]);
});
byId('ft-camera').addEventListener('click', () => void startCamera());
byId('ft-predict-camera').addEventListener('click', async () => {
  const v = video();
  if (ft.stream && v.videoWidth) classify(await createImageBitmap(v));
});

async function start(): Promise<void> {
  addClass('class 1');
  addClass('class 2');
  await sg.init();
  const problem = sg.sharedMemoryProblem();
  const slider = input('ft-workers');
  slider.max = String(problem ? 1 : navigator.hardwareConcurrency || 1);
  slider.value = slider.max;
  slider.disabled = Boolean(problem);
  byId('ft-workers-out').textContent = slider.value;
  byId('ft-camera').hidden = !navigator.mediaDevices?.getUserMedia;
  if (!sg.torchvision) {
    find<HTMLOptionElement>(byId('ft-model'), 'option[value="resnet18"]').disabled = true;
  }
  ft.ready = true;
  document.body.dataset.ft = 'idle';
  updateCounts();
}

start().catch((e: unknown) => {
  setStatus(`could not start: ${errorMessage(e)}`);
  document.body.dataset.ft = 'failed';
});
