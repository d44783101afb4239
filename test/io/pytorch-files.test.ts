// safetensors as PyTorch writes it, against files made by scripts/fixtures/interop.py (which
// follows the reference writer's layout): every dtype read with its values, our bytes equal to
// the file for the same tensors, and a conv + batch-norm model's state dict (int64
// num_batches_tracked) loaded strictly, run in eval mode and written back byte for byte.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  F,
  init,
  nn,
  noGrad,
  parseSafetensors,
  serializeSafetensors,
  tensor,
  tidy,
  type Tensor,
} from '../../src/index.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';
import { expectClose } from '../util.js';

const t = suite('pytorch-files');
await init();

interface DtypeCase {
  name: 'dtypes';
  file: string;
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; source: number[]; values: number[] }>;
}
interface BnCase {
  name: 'bn-net';
  file: string;
  input: FixtureTensor;
  output: FixtureTensor;
  stateDict: [string, number[], string][];
}
const [dtypes, bn] = loadFixture<DtypeCase | BnCase>('interop') as [DtypeCase, BnCase];

const fixtureBytes = (file: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../test/fixtures/${file}`, import.meta.url)));

function expectBytes(got: Uint8Array, want: Uint8Array, label: string): void {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      const head = new TextDecoder().decode(got.subarray(8, 8 + 160));
      throw new Error(
        `${label}: byte ${i}: got ${got[i]}, want ${want[i]} (lengths ` +
          `${got.length}, ${want.length}); our header starts ${head}`
      );
    }
  }
}

t('every dtype: read with the dtype, shape and values PyTorch stored (floats as f32)', () => {
  const { tensors, metadata } = parseSafetensors(fixtureBytes(dtypes.file), dtypes.file);
  assert.equal(metadata, dtypes.metadata);
  assert.equal(Object.keys(tensors).sort(), Object.keys(dtypes.tensors).sort());
  for (const [name, want] of Object.entries(dtypes.tensors)) {
    const got = tensors[name];
    assert.is(got.dtype, want.dtype, `${name} dtype`);
    assert.equal(got.shape, want.shape, `${name} shape`);
    const floating = ['F64', 'F32', 'F16', 'BF16'].includes(want.dtype);
    assert.ok(got.data instanceof (floating ? Float32Array : Float64Array), `${name} array type`);
    want.values.forEach((v, i) => {
      if (!Object.is(got.data[i], v)) throw new Error(`${name}[${i}]: ${got.data[i]} != ${v}`);
    });
  }
});

t(
  'every dtype: our bytes equal the file for the same source values (F16/BF16 rounded as torch)',
  () => {
    const src = Object.fromEntries(
      Object.entries(dtypes.tensors).map(([k, v]) => [
        k,
        { shape: v.shape, data: v.source, dtype: v.dtype },
      ])
    );
    expectBytes(serializeSafetensors(src, dtypes.metadata), fixtureBytes(dtypes.file), 'dtypes');
  }
);

t('every dtype: what we read writes back with its dtype and reads back the same', () => {
  const bytes = fixtureBytes(dtypes.file);
  const first = parseSafetensors(bytes, dtypes.file);
  const out = serializeSafetensors(first.tensors, first.metadata);
  // Only the F64 tensor's bytes differ: it was read as f32 (its values written back as doubles).
  assert.is(out.length, bytes.length);
  const again = parseSafetensors(out, 'written back');
  assert.equal(again.metadata, first.metadata);
  for (const [name, a] of Object.entries(first.tensors)) {
    const b = again.tensors[name];
    assert.is(b.dtype, a.dtype, name);
    assert.equal(b.shape, a.shape, name);
    a.data.forEach((v, i) => {
      if (!Object.is(b.data[i], v)) throw new Error(`${name}[${i}]: ${b.data[i]} != ${v}`);
    });
  }
});

/** Twin of Net in scripts/fixtures/interop.py. */
class BnNet extends nn.Module {
  conv = new nn.Conv2d(3, 4, 3, { padding: 1, bias: false });
  bn = new nn.BatchNorm2d(4);
  fc = new nn.Linear(4, 5);

  forward(x: Tensor): Tensor {
    const h = F.relu(this.bn.forward(this.conv.forward(x)));
    return this.fc.forward(F.flatten(F.adaptiveAvgPool2d(h, 1), 1));
  }
}

t(
  "batch-norm model: stateDict keys, shapes and dtypes are PyTorch's (num_batches_tracked I64)",
  () => {
    const net = new BnNet();
    const sd = net.stateDict();
    assert.equal(
      Object.entries(sd).map(([k, v]) => [k, v.shape, v.dtype ?? 'F32']),
      bn.stateDict
    );
    net.dispose();
  }
);

t(
  "batch-norm model: PyTorch's file loads strictly, eval output matches, writes back byte for byte",
  () => {
    const bytes = fixtureBytes(bn.file);
    const { tensors } = parseSafetensors(bytes, bn.file);
    assert.is(tensors['bn.num_batches_tracked'].dtype, 'I64');
    assert.equal([...tensors['bn.num_batches_tracked'].data], [3]);
    const net = new BnNet();
    assert.equal(net.loadStateDict(tensors), { missingKeys: [], unexpectedKeys: [] });
    net.eval();
    const y = noGrad(() =>
      tidy(() => net.forward(tensor(bn.input.data, bn.input.shape)).toFloat32Array())
    );
    expectClose(y, bn.output.data, 'BnNet eval output vs PyTorch', 1e-5);
    expectBytes(serializeSafetensors(net.stateDict()), bytes, "our state dict vs PyTorch's file");
    net.dispose();
  }
);

t('batch-norm model: a train-mode step counts in num_batches_tracked, saved as I64', () => {
  const net = new BnNet();
  net.loadStateDict(parseSafetensors(fixtureBytes(bn.file)).tensors);
  tidy(() => net.forward(tensor(bn.input.data, bn.input.shape)));
  const { tensors } = parseSafetensors(serializeSafetensors(net.stateDict()));
  assert.is(tensors['bn.num_batches_tracked'].dtype, 'I64');
  assert.equal([...tensors['bn.num_batches_tracked'].data], [4]);
  net.dispose();
});

t.run();
