// The library loads no protobuf package, not even to export ONNX (src/io/onnx-encode.ts writes
// the bytes): a child Node process imports dist/src/index.js, runs init() and exportOnnx, and
// lists the CommonJS modules it has loaded (require.cache, where a package imported from ESM
// lands too); then it imports protobufjs itself, to show the check sees it when it is there.
// The encoder against protobufjs's decoder: negative and large int64s, floats, strings, dims.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { encodeOnnxModel } from '../../src/io/onnx-encode.js';
import { decodeOnnx } from './onnx-decode.js';

const t = suite('onnx without protobufjs');
const index = new URL('../../src/index.js', import.meta.url).href;

const CHILD = `
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const req = createRequire(${JSON.stringify(index)});
const loaded = () => Object.keys(req.cache).filter((k) => /[\\\\/]protobufjs[\\\\/]/.test(k)).length;
const sg = await import(${JSON.stringify(index)});
await sg.init();
const onImport = loaded();
const bytes = sg.exportOnnx(sg.createModel('logistic'), sg.randn([1, 1, 28, 28]));
const onExport = loaded();
await import(pathToFileURL(req.resolve('protobufjs/light.js')).href);
console.log(JSON.stringify({ onImport, onExport, bytes: bytes.length, control: loaded() }));
`;

t('import, init() and exportOnnx load no protobufjs module (and the check sees one loaded)', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  assert.is(got.onImport, 0, 'protobufjs modules loaded by import + init()');
  assert.is(got.onExport, 0, 'protobufjs modules loaded by exportOnnx');
  assert.ok(got.bytes > 1000, `exportOnnx wrote ${got.bytes} bytes`);
  assert.ok(got.control > 0, 'the child imported protobufjs but require.cache does not show it');
});

t(
  'encodeOnnxModel: what protobufjs decodes (int64 -1, -2^40, 2^40; float; string; symbolic dim)',
  () => {
    const raw = new Uint8Array([1, 2, 3, 250]);
    const bytes = encodeOnnxModel({
      irVersion: 8,
      producerName: 'simdgrad',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'Net',
        node: [
          {
            name: 'n0',
            opType: 'Gemm',
            input: ['input', 'w'],
            output: ['output'],
            attribute: [
              { name: 'axis', type: 2, i: -1 },
              { name: 'alpha', type: 1, f: 0.25 },
              { name: 'mode', type: 3, s: new TextEncoder().encode('ü') },
              { name: 'pads', type: 7, ints: [0, -2, 2 ** 40, -(2 ** 40)] },
            ],
          },
        ],
        initializer: [{ name: 'w', dims: [2, 2 ** 33], dataType: 7, rawData: raw }],
        input: [{ name: 'input', elemType: 1, dims: [{ dimParam: 'batch' }, { dimValue: 300 }] }],
        output: [{ name: 'output', elemType: 1, dims: [{ dimValue: 0 }] }],
      },
    });
    assert.equal(decodeOnnx(bytes), {
      irVersion: 8,
      producerName: 'simdgrad',
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'Net',
        node: [
          {
            name: 'n0',
            opType: 'Gemm',
            input: ['input', 'w'],
            output: ['output'],
            attribute: [
              { name: 'axis', type: 2, i: -1 },
              { name: 'alpha', type: 1, f: 0.25 },
              { name: 'mode', type: 3, s: [0xc3, 0xbc] },
              { name: 'pads', type: 7, ints: [0, -2, 2 ** 40, -(2 ** 40)] },
            ],
          },
        ],
        initializer: [{ name: 'w', dims: [2, 2 ** 33], dataType: 7, rawData: [1, 2, 3, 250] }],
        input: [
          {
            name: 'input',
            type: {
              tensorType: {
                elemType: 1,
                shape: { dim: [{ dimParam: 'batch' }, { dimValue: 300 }] },
              },
            },
          },
        ],
        output: [
          {
            name: 'output',
            type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 0 }] } } },
          },
        ],
      },
    });
  }
);

t.run();
