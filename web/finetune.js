// The demo page's second mode, "Your images": the user drops a few images per class (or picks
// files, or snaps the webcam), trains in the tab on the worker pool the slider sets, and drops
// new images to classify them. Images go through data.fromImages (RGB floats), are kept at
// KEEP x KEEP and cut to SIZE x SIZE by the Trainer's per-step transforms (RandomResizedCrop,
// flip, ImageNet normalisation). The model is a small CNN trained whole, or torchvision's
// ResNet-18 with the user's weights file, backbone frozen and a new head. Tested by
// test/browser/finetune.test.ts.

import * as sg from '/dist/src/index.js';

const SIZE = 64;
const KEEP = 72;
const BATCH = 16;
const T = sg.data.transforms;
const $ = (id) => document.getElementById(id);

const ft = {
  classes: [],
  model: null,
  classNames: [],
  trainer: null,
  weights: null,
  stream: null,
  ready: false,
};

const keepTransform = new T.Compose([new T.Resize(KEEP), new T.CenterCrop(KEEP)]);
const evalTransform = new T.Compose([new T.Resize(KEEP), new T.CenterCrop(SIZE), new T.Normalize()]);
const trainTransform = new T.Compose([new T.RandomResizedCrop(SIZE, { scale: [0.5, 1] }),
  new T.RandomHorizontalFlip(), new T.Normalize()]);

function setStatus(text) {
  $('ft-status').textContent = text;
}

function log(line) {
  const el = $('ft-log');
  el.textContent += `${line.trimEnd()}\n`;
  el.scrollTop = el.scrollHeight;
}

function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// ---- classes and their images ---------------------------------------------------------------

function thumb(bitmap) {
  const c = document.createElement('canvas');
  c.width = 40;
  c.height = 40;
  const s = Math.min(bitmap.width, bitmap.height);
  c.getContext('2d').drawImage(bitmap, (bitmap.width - s) / 2, (bitmap.height - s) / 2, s, s, 0, 0, 40, 40);
  return c;
}

function addClass(name) {
  const index = ft.classes.length;
  const el = document.createElement('div');
  el.className = 'ft-class';
  el.innerHTML = `<input type="text" aria-label="class name">
    <div class="ft-thumbs"></div>
    <div class="ft-buttons">
      <label class="button ghost">Add images<input type="file" accept="image/*" multiple hidden></label>
      <button type="button" class="ghost ft-snap" hidden>Snap</button>
      <span class="ft-n">0 images</span>
    </div>`;
  const cls = { el, images: [], name: el.querySelector('input[type="text"]') };
  cls.name.value = name;
  const files = el.querySelector('input[type="file"]');
  files.id = `ft-files-${index}`;
  files.addEventListener('change', async () => {
    await addFiles(cls, [...files.files]);
    files.value = '';
  });
  el.querySelector('.ft-snap').addEventListener('click', () => snap(cls));
  el.querySelector('.ft-snap').hidden = !ft.stream;
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.classList.add('over');
  });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', async (e) => {
    e.preventDefault();
    el.classList.remove('over');
    await addFiles(cls, [...(e.dataTransfer?.files ?? [])]);
  });
  ft.classes.push(cls);
  $('ft-classes').append(el);
  updateCounts();
}

async function addBitmap(cls, bitmap) {
  cls.images.push(bitmap);
  cls.el.querySelector('.ft-thumbs').append(thumb(bitmap));
  updateCounts();
}

async function addFiles(cls, files) {
  for (const f of files) {
    if (!f.type.startsWith('image/')) continue;
    try {
      await addBitmap(cls, await createImageBitmap(f));
    } catch (e) {
      log(`could not read ${f.name}: ${e.message}`);
    }
  }
}

function updateCounts() {
  let total = 0;
  for (const c of ft.classes) {
    c.el.querySelector('.ft-n').textContent = `${c.images.length} image${c.images.length === 1 ? '' : 's'}`;
    total += c.images.length;
  }
  $('ft-count').textContent = fmt(total);
  const filled = ft.classes.filter((c) => c.images.length > 0).length;
  const ok = filled >= 2 && filled === ft.classes.length;
  if (!ft.trainer) $('ft-train').disabled = !ft.ready || !ok;
  if (!ft.trainer && !ft.model) {
    setStatus(ok ? `ready: ${total} images in ${filled} classes`
      : 'add images to every class (at least two classes)');
  }
}

// ---- webcam ---------------------------------------------------------------------------------

async function startCamera() {
  try {
    ft.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  } catch (e) {
    log(`no webcam: ${e.message}`);
    return;
  }
  const v = $('ft-video');
  v.srcObject = ft.stream;
  v.hidden = false;
  $('ft-camera').hidden = true;
  $('ft-predict-camera').hidden = false;
  for (const c of ft.classes) c.el.querySelector('.ft-snap').hidden = false;
}

async function snap(cls) {
  const v = $('ft-video');
  if (!ft.stream || !v.videoWidth) return;
  await addBitmap(cls, await createImageBitmap(v));
}

// ---- models ---------------------------------------------------------------------------------

/** Three conv-BN-ReLU stages (16, 32, 64 channels, max pool between), global average pool, a
 * linear head: an nn.Sequential of library layers, so workers rebuild it with nothing more. */
function smallCnn(classes) {
  const { nn } = sg;
  const stage = (i, o) => [new nn.Conv2d(i, o, 3, { padding: 1 }), new nn.BatchNorm2d(o), new nn.ReLU()];
  return new nn.Sequential(...stage(3, 16), new nn.MaxPool2d(2), ...stage(16, 32), new nn.MaxPool2d(2),
    ...stage(32, 64), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(64, classes));
}

/** torchvision's ResNet-18 from the weights file, its head replaced and its backbone frozen. */
async function resnet18(classes) {
  if (!sg.torchvision) throw new Error('this build of simdgrad has no torchvision models');
  if (!ft.weights) throw new Error('pick a torchvision ResNet-18 weights file (.safetensors) first');
  const { resnet18WithHead } = await import('./finetune-model.js');
  const model = resnet18WithHead(classes);
  const sd = sg.parseSafetensors(new Uint8Array(await ft.weights.arrayBuffer()), ft.weights.name).tensors;
  delete sd['fc.weight'];
  delete sd['fc.bias'];
  model.loadStateDict(sd, { strict: false });
  for (const [name, p] of model.namedParameters()) p.requiresGrad = name.startsWith('fc.');
  return model;
}

// ---- training -------------------------------------------------------------------------------

function trainingSet() {
  const images = [];
  const labels = [];
  ft.classes.forEach((c, k) => {
    for (const b of c.images) {
      images.push(b);
      labels.push(k);
    }
  });
  ft.classNames = ft.classes.map((c, k) => c.name.value.trim() || `class ${k + 1}`);
  return sg.data.fromImages(images, labels, { transform: keepTransform, classNames: ft.classNames });
}

function setTraining(on) {
  const b = $('ft-train');
  b.textContent = on ? 'Stop' : 'Train';
  b.classList.toggle('stop', on);
  for (const id of ['ft-model', 'ft-epochs', 'ft-add-class', 'ft-weights']) $(id).disabled = on;
  $('ft-workers').disabled = on || Boolean(sg.sharedMemoryProblem());
  document.body.dataset.ft = on ? 'training' : ft.model ? 'trained' : 'idle';
}

async function train() {
  const kind = $('ft-model').value;
  const workers = Number($('ft-workers').value);
  const epochs = Math.max(1, Math.min(50, Math.round(Number($('ft-epochs').value) || 1)));
  let model;
  let data;
  try {
    data = trainingSet();
    sg.manualSeed(1);
    model = kind === 'resnet18' ? await resnet18(data.classes) : smallCnn(data.classes);
  } catch (e) {
    setStatus(`cannot train: ${e.message}`);
    document.body.dataset.ft = 'failed';
    return;
  }
  ft.model?.dispose();
  ft.model = null;
  const params = model.parameters().filter((p) => p.requiresGrad);
  const total = epochs * data.n;
  const trainer = new sg.Trainer({
    model, optimizer: new sg.optim.AdamW(params, { lr: kind === 'resnet18' ? 1e-2 : 3e-3 }),
    train: data, transform: trainTransform, epochs, batchSize: BATCH, seed: 1, workers,
    replica: kind === 'resnet18' ? {
      model: { module: new URL('./finetune-model.js', import.meta.url), export: 'resnet18WithHead',
        args: [data.classes] },
    } : undefined,
    out: { write: log },
    onStep: async (r) => {
      $('ft-ips').textContent = fmt(r.imagesPerSecond, 1);
      $('ft-loss').textContent = fmt(r.loss, 3);
      $('ft-acc').textContent = `${fmt((100 * (r.correct ?? 0)) / r.size, 0)}%`;
      $('ft-progress-bar').style.width = `${(100 * (r.epoch * data.n + r.seen)) / total}%`;
      setStatus(`epoch ${r.epoch + 1}/${epochs} · ${workers} worker${workers > 1 ? 's' : ''}`);
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  });
  ft.trainer = trainer;
  setTraining(true);
  log(`training ${kind === 'resnet18' ? 'ResNet-18 (head)' : 'the small CNN'} on ${data.n} images ` +
    `of ${data.classes} classes, ${SIZE}x${SIZE}, ${epochs} epochs, ${workers} worker${workers > 1 ? 's' : ''}`);
  try {
    const history = await trainer.fit();
    ft.model = model;
    const last = history[history.length - 1];
    setStatus(trainer.stopped ? 'stopped: predicting with the model so far'
      : `trained: ${fmt(100 * (last?.trainAccuracy ?? 0), 0)}% of the training images right in the ` +
        `last epoch, ${fmt(last?.imagesPerSecond ?? 0, 1)} images/s`);
    $('ft-confidence').textContent = 'drop an image to classify it';
  } catch (e) {
    model.dispose();
    setStatus(`training failed: ${e.message}`);
    console.error(e);
  } finally {
    ft.trainer = null;
    setTraining(false);
    if (!ft.model) document.body.dataset.ft = 'failed';
  }
}

// ---- prediction -----------------------------------------------------------------------------

function showProbabilities(p) {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  $('ft-prediction').textContent = ft.classNames[best];
  $('ft-confidence').textContent = `${fmt(100 * p[best], 1)}% sure`;
  document.body.dataset.ftPrediction = ft.classNames[best];
  $('ft-bars').replaceChildren(...ft.classNames.map((name, k) => {
    const row = document.createElement('div');
    row.innerHTML = '<span></span><i></i><em></em>';
    row.querySelector('span').textContent = name;
    row.querySelector('i').style.width = `${Math.max(1, 100 * p[k])}%`;
    row.querySelector('em').textContent = `${fmt(100 * p[k], 0)}%`;
    return row;
  }));
}

function classify(source) {
  const view = $('ft-predict-view');
  const g = view.getContext('2d');
  g.clearRect(0, 0, view.width, view.height);
  g.drawImage(source, 0, 0, view.width, view.height);
  if (!ft.model) {
    $('ft-confidence').textContent = 'train a model first';
    return;
  }
  const x = sg.data.fromImages([source], [0], { transform: evalTransform });
  showProbabilities(sg.predict(ft.model, x.images, { sampleShape: [3, SIZE, SIZE] }));
}

async function classifyFile(file) {
  if (!file?.type.startsWith('image/')) return;
  classify(await createImageBitmap(file));
}

// ---- wiring ---------------------------------------------------------------------------------

for (const b of $('modes').querySelectorAll('button')) {
  b.addEventListener('click', () => {
    document.body.dataset.mode = b.dataset.mode;
    for (const o of $('modes').querySelectorAll('button')) {
      o.setAttribute('aria-pressed', String(o === b));
    }
  });
}
$('ft-add-class').addEventListener('click', () => addClass(`class ${ft.classes.length + 1}`));
$('ft-model').addEventListener('change', () => {
  $('ft-weights-label').hidden = $('ft-model').value !== 'resnet18';
});
$('ft-weights').addEventListener('change', (e) => {
  ft.weights = e.target.files?.[0] ?? null;
  if (ft.weights) log(`ResNet-18 weights: ${ft.weights.name}`);
});
$('ft-workers').addEventListener('input', () => {
  $('ft-workers-out').textContent = $('ft-workers').value;
});
$('ft-controls').addEventListener('submit', (e) => {
  e.preventDefault();
  if (ft.trainer) {
    ft.trainer.stop();
    setStatus('stopping after this step…');
  } else {
    train();
  }
});
$('ft-predict-file').addEventListener('change', async (e) => {
  await classifyFile(e.target.files?.[0]);
  e.target.value = '';
});
const drop = $('ft-predict-drop');
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
$('ft-camera').addEventListener('click', startCamera);
$('ft-predict-camera').addEventListener('click', async () => {
  const v = $('ft-video');
  if (ft.stream && v.videoWidth) classify(await createImageBitmap(v));
});

async function start() {
  addClass('class 1');
  addClass('class 2');
  await sg.init();
  const problem = sg.sharedMemoryProblem();
  const slider = $('ft-workers');
  slider.max = String(problem ? 1 : navigator.hardwareConcurrency || 1);
  slider.value = slider.max;
  slider.disabled = Boolean(problem);
  $('ft-workers-out').textContent = slider.value;
  $('ft-camera').hidden = !navigator.mediaDevices?.getUserMedia;
  if (!sg.torchvision) $('ft-model').querySelector('option[value="resnet18"]').disabled = true;
  ft.ready = true;
  document.body.dataset.ft = 'idle';
  updateCounts();
}

start().catch((e) => {
  setStatus(`could not start: ${e.message}`);
  document.body.dataset.ft = 'failed';
});
