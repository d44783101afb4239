// softmax_xent_fwd/bwd against test/ref/loss.ts (softmax_xent_fwd_ref, softmax_xent_bwd_ref);
// the backward also against central differences of the forward's loss; both builds.
import { suite } from 'uvu';
import type { F32Buf } from '../../src/runtime/heap.js';
import type { Runtime } from '../../src/runtime/load.js';
import { softmaxXentBackward, softmaxXentForward } from '../../src/runtime/kernels/loss.js';
import { numericGrad } from '../fd.js';
import { softmax_xent_bwd_ref, softmax_xent_fwd_ref } from '../ref/loss.js';
import { builds, expectClose, expectThrows, freeAll, get, put, rand } from '../util.js';

const t = suite('loss');
const rts = await builds();

function putLabels(rt: Runtime, labels: number[]): F32Buf {
  const buf = rt.heap.allocF32(labels.length);
  rt.heap.viewI32(buf).set(labels);
  return buf;
}

const labelsFor = (b: number, k: number): number[] =>
  Array.from({ length: b }, (_, i) => (i * 7 + 3) % k);

// [batch, classes, logit spread, offset]: the large offset checks the max subtraction.
const cases: [number, number, number, number][] = [
  [1, 1, 1, 0],
  [1, 10, 3, 0],
  [3, 5, 3, 0],
  [7, 3, 1, 0],
  [17, 10, 5, 0],
  [64, 10, 3, 0],
  [5, 33, 3, 0],
  [2, 65, 2, 0],
  [4, 7, 30, 1000],
  [3, 4, 80, -500],
];

for (const rt of rts) {
  for (const [bsz, k, spread, offset] of cases) {
    const name = `b=${bsz} k=${k} spread=${spread} offset=${offset} [${rt.build}]`;
    const L = rand(bsz * k, bsz * 100 + k, -spread, spread).map((v) => v + offset);
    const labs = labelsFor(bsz, k);
    const forward = (logitsData: Float32Array): { loss: number; probs: Float32Array } => {
      const logits = put(rt, logitsData),
        labels = putLabels(rt, labs);
      const probs = rt.heap.allocF32(bsz * k);
      const loss = softmaxXentForward(rt, { batch: bsz, classes: k, logits, labels, probs });
      const out = { loss, probs: get(rt, probs) };
      freeAll(rt, logits, labels, probs);
      return out;
    };

    t(`softmax_xent_fwd ${name}`, () => {
      const got = forward(L);
      const ref = softmax_xent_fwd_ref(L, labs, bsz, k);
      expectClose(
        [got.loss],
        [ref.loss],
        `softmax_xent_fwd loss ${name}`,
        1e-4,
        Math.max(ref.loss, 1e-2)
      );
      expectClose(got.probs, ref.probs, `softmax_xent_fwd probs ${name}`);
    });

    for (const scale of [1, -0.5]) {
      t(`softmax_xent_bwd scale=${scale} ${name}`, () => {
        const P = forward(L).probs;
        const probs = put(rt, P),
          labels = putLabels(rt, labs),
          gl = rt.heap.allocF32(bsz * k);
        rt.heap.view(gl).fill(NaN);
        softmaxXentBackward(rt, { batch: bsz, classes: k, probs, labels, gradLogits: gl, scale });
        const got = get(rt, gl);
        freeAll(rt, probs, labels, gl);
        expectClose(got, softmax_xent_bwd_ref(P, labs, bsz, k, scale), `softmax_xent_bwd ${name}`);
        if (bsz * k <= 120 && spread <= 5) {
          const fd = numericGrad((xs) => [forward(xs).loss], L, [scale], 1e-2);
          expectClose(got, fd, `softmax_xent_bwd vs finite differences ${name}`, 1e-2);
        }
      });
    }
  }
}

t('cross-entropy rejects bad arguments, naming them', () => {
  const rt = rts[0];
  const logits = put(rt, rand(12, 1)),
    probs = rt.heap.allocF32(12);
  const gradLogits = rt.heap.allocF32(12);
  const labels = putLabels(rt, [0, 10, 2]);
  const args = { batch: 3, classes: 4, logits, probs };
  expectThrows(
    () => softmaxXentForward(rt, { ...args, labels }),
    ['crossEntropy', 'labels[1] = 10', '[0, 4)'],
    'label too big'
  );
  const neg = putLabels(rt, [0, 1, -1]);
  expectThrows(
    () => softmaxXentBackward(rt, { ...args, labels: neg, gradLogits }),
    ['crossEntropy_backward', 'labels[2] = -1'],
    'negative label'
  );
  const ok = putLabels(rt, [0, 1, 2]);
  expectThrows(
    () => softmaxXentForward(rt, { ...args, labels: ok, probs: rt.heap.allocF32(11) }),
    ['crossEntropy', 'probs holds 11', 'needs 12'],
    'probs too small'
  );
  expectThrows(
    () => softmaxXentForward(rt, { ...args, batch: 4, labels: ok }),
    ['crossEntropy', 'labels holds 3', 'needs 4'],
    'labels too short'
  );
  expectThrows(
    () => softmaxXentForward(rt, { ...args, batch: 0, labels: ok }),
    ['crossEntropy', 'batch', '>= 1'],
    'batch 0'
  );
  expectThrows(
    () => softmaxXentForward(rt, { ...args, classes: 5, labels: ok }),
    ['crossEntropy', 'probs holds 12', 'needs 15'],
    'classes too many'
  );
  expectThrows(
    () => softmaxXentBackward(rt, { ...args, labels: ok, gradLogits, scale: Infinity }),
    ['crossEntropy_backward', 'scale'],
    'scale inf'
  );
  const tiny = rt.heap.allocF32(2);
  expectThrows(
    () => softmaxXentBackward(rt, { ...args, labels: ok, gradLogits: tiny }),
    ['crossEntropy_backward', 'gradLogits holds 2'],
    'gradLogits too small'
  );
});

t.run();
