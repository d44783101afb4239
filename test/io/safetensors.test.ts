// safetensors (src/io/safetensors.ts) against byte layouts written out by hand, including the
// expected outputs of huggingface/safetensors' own serializer tests (safetensors/src/tensor.rs:
// test_serialization, test_serialization_forced_alignement, test_empty), bit-exact round trips,
// F16/BF16/F64 decoding, and corrupt files rejected with the tensor and field named. Every dtype
// against files written the PyTorch way: test/io/pytorch-files.test.ts.
import { suite } from 'uvu';
import {
  parseSafetensors,
  serializeSafetensors,
  type TensorF32,
} from '../../src/io/safetensors.js';
import { throwsWith } from '../data/expect.js';

const t = suite('safetensors');

/** 8-byte little-endian length, the header text as given (padding included), then the data. */
function file(header: string, data: ArrayLike<number> = [], length?: number): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

const head = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(8, 8 + 96));

function expectBytes(got: Uint8Array, want: Uint8Array, label: string): void {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      throw new Error(
        `${label}: byte ${i}: got ${got[i]}, want ${want[i]} ` +
          `(lengths ${got.length}, ${want.length}); got header ${head(got)}`
      );
    }
  }
}

// 0, 1, 2, 3, 4, 5 as little-endian f32.
const ZERO_TO_FIVE = [
  0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
];
const iota6 = Float32Array.from([0, 1, 2, 3, 4, 5]);

t('serialize "attn.0" [1,2,3]: the reference writer bytes (64-byte header, no padding)', () => {
  const want = file(
    '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
    ZERO_TO_FIVE
  );
  if (want[0] !== 64) throw new Error(`hand-built header length ${want[0]}`);
  const got = serializeSafetensors({ 'attn.0': { shape: [1, 2, 3], data: iota6 } });
  expectBytes(got, want, 'attn.0');
});

t('serialize "attn0" [1,1,2,3]: header padded with 7 spaces to 72 bytes', () => {
  const want = file(
    '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ',
    ZERO_TO_FIVE
  );
  if (want[0] !== 72) throw new Error(`hand-built header length ${want[0]}`);
  expectBytes(serializeSafetensors({ attn0: { shape: [1, 1, 2, 3], data: iota6 } }), want, 'attn0');
});

t('serialize no tensors: "{}" + 6 spaces; with metadata framework=pt: 40-byte header', () => {
  expectBytes(serializeSafetensors({}), file('{}      '), 'empty');
  expectBytes(
    serializeSafetensors({}, { framework: 'pt' }),
    file('{"__metadata__":{"framework":"pt"}}     '),
    'empty + metadata'
  );
});

t('serialize order: metadata first (keys sorted), then tensors by name, "10" before "9"', () => {
  const one = (v: number): TensorF32 => ({ shape: [1], data: Float32Array.of(v) });
  const tensors = { b: one(4), a: one(3), 9: one(2), 10: one(1) };
  const got = serializeSafetensors(tensors, { z: '1', 0: 'x' });
  const info = (b: number): string => `{"dtype":"F32","shape":[1],"data_offsets":[${b},${b + 4}]}`;
  const header =
    `{"__metadata__":{"0":"x","z":"1"},"10":${info(0)},"9":${info(4)},` +
    `"a":${info(8)},"b":${info(12)}}`;
  const pad = ' '.repeat((8 - (header.length % 8)) % 8);
  // 1, 2, 3, 4 as little-endian f32.
  const data = [0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64];
  expectBytes(got, file(header + pad, data), 'order');
});

t('round trip is bit-exact: NaN payloads, -0, +-Inf, subnormals, [], [0,3], odd names', () => {
  const special = new Float32Array(
    new Uint32Array([
      0x7fc00001, 0xffa00123, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff,
      0x7f7fffff,
    ]).buffer
  );
  const random = Float32Array.from({ length: 1000 }, (_, i) => (Math.sin(i * 12.99) * 43758) % 7);
  const tensors = {
    'layer.0/weight': { shape: [8], data: special },
    'conv1.weight': { shape: [10, 4, 5, 5], data: random },
    scalar: { shape: [], data: Float32Array.of(-1.5) },
    empty: { shape: [0, 3], data: new Float32Array(0) },
    'poids.ü/α': { shape: [1], data: Float32Array.of(2) },
    ['__proto__']: { shape: [1], data: Float32Array.of(3) },
  };
  const meta = { epoch: '3', 'note ü': 'line\nbreak "quoted"' };
  const bytes = serializeSafetensors(tensors, meta);
  if ((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8 !== 0) {
    throw new Error('data section not 8-aligned');
  }
  const back = parseSafetensors(bytes, 'roundtrip');
  if (JSON.stringify(back.metadata) !== JSON.stringify(meta)) throw new Error('metadata');
  const names = Object.keys(tensors).sort();
  if (Object.keys(back.tensors).sort().join() !== names.join()) {
    throw new Error(`names ${Object.keys(back.tensors)}`);
  }
  for (const name of names) {
    const want = tensors[name as keyof typeof tensors];
    const got = back.tensors[name];
    if (got.dtype !== 'F32' || got.shape.join() !== want.shape.join()) {
      throw new Error(`${name}: dtype ${got.dtype}, shape [${got.shape}]`);
    }
    const g = new Uint32Array(got.data.buffer, got.data.byteOffset, got.data.length);
    const w = new Uint32Array(want.data.buffer, want.data.byteOffset, want.data.length);
    for (let i = 0; i < w.length; i++) {
      if (g[i] !== w[i]) {
        throw new Error(`${name} element ${i}: bits ${g[i].toString(16)} != ${w[i].toString(16)}`);
      }
    }
  }
  if (Object.getPrototypeOf(back.tensors) !== Object.prototype) {
    throw new Error('the tensor named __proto__ became a prototype');
  }
});

t('parse F16, BF16, F64 hand-built tensors to f32', () => {
  const u16 = (vs: number[]): number[] => vs.flatMap((v) => [v & 0xff, v >> 8]);
  const f64 = new Uint8Array(new Float64Array([Math.PI, -1e-3, 1e300]).buffer);
  const header =
    '{"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},' +
    '"b":{"dtype":"BF16","shape":[3],"data_offsets":[14,20]},' +
    '"d":{"dtype":"F64","shape":[3],"data_offsets":[24,48]},' +
    '"pad":{"dtype":"F16","shape":[2],"data_offsets":[20,24]}}';
  const data = [
    ...u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000, 0x7e00]),
    ...u16([0x3f80, 0xc000, 0x4049]),
    ...u16([0x3555, 0x0400]),
    ...f64,
  ];
  const { tensors } = parseSafetensors(file(header, data), 'hand.safetensors');
  const want: Record<string, number[]> = {
    h: [1, -2, 65504, 2 ** -24, Infinity, -0, NaN],
    b: [1, -2, 3.140625],
    pad: [0.333251953125, 2 ** -14],
    d: [Math.fround(Math.PI), Math.fround(-1e-3), Infinity],
  };
  for (const [name, values] of Object.entries(want)) {
    values.forEach((v, i) => {
      if (!Object.is(tensors[name].data[i], v)) {
        throw new Error(`${name}[${i}]: ${tensors[name].data[i]} != ${v}`);
      }
    });
  }
  if (tensors.h.dtype !== 'F16' || tensors.b.dtype !== 'BF16' || tensors.d.dtype !== 'F64') {
    throw new Error('dtype not reported as stored');
  }
});

t('parse accepts the reference whitespace around the header and a zero-size tensor', () => {
  const header = '{"e":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]}}';
  const out = parseSafetensors(file(`\t\n${header}\r `));
  if (out.tensors.e.shape.join() !== '2,0' || out.tensors.e.data.length !== 0) throw new Error('e');
});

const F32 = (name: string, shape: number[], b: number, e: number): string =>
  `${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},` +
  `"data_offsets":[${b},${e}]}`;
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

// [case, bytes, fragments the error must name besides the file]
const corrupt: [string, Uint8Array, string[]][] = [
  [
    '5 bytes',
    new Uint8Array(5),
    ['truncated at byte offset 5', 'header length field needs 8 bytes'],
  ],
  [
    'header length 2^40',
    file('{}', [], 2 ** 40),
    ['byte offset 0', 'header length 1099511627776 exceeds'],
  ],
  [
    'header length past the end',
    file(`{${F32('w', [6], 0, 24)}}`, zeros(24), 1000),
    ['byte offset 0', 'header length 1000 runs past the end of the file (87 bytes'],
  ],
  [
    'header not UTF-8',
    file('{"ab"}').map((b, i) => (i === 10 ? 0xff : b)),
    ['byte offset 8', 'not valid UTF-8'],
  ],
  ['header not JSON', file('{'), ['byte offset 8', 'the 1-byte header is not valid JSON']],
  ['header an array', file('[]      '), ['the header must be a JSON object, got array']],
  [
    'offsets past the data',
    file(`{${F32('w', [100], 0, 400)}}`, zeros(24)),
    ['tensor "w": field data_offsets [0, 400] runs past the data section (24 bytes'],
  ],
  [
    'wrong byte count',
    file(`{${F32('w', [2, 2], 0, 4)}}`, zeros(4)),
    ['tensor "w": field data_offsets [0, 4] spans 4 bytes but shape [2,2] of F32 needs 16 bytes'],
  ],
  [
    'overlap',
    file(`{${F32('a', [2], 0, 8)},${F32('b', [2], 4, 12)}}`, zeros(12)),
    ['tensor "b": field data_offsets [4, 12] overlaps: tensor "a" ends at 8'],
  ],
  [
    'gap',
    file(`{${F32('a', [1], 0, 4)},${F32('b', [1], 8, 12)}}`, zeros(12)),
    ['tensor "b": field data_offsets [8, 12] leaves a gap of 4 bytes: tensor "a" ends at 4'],
  ],
  [
    'first tensor not at 0',
    file(`{${F32('a', [1], 4, 8)}}`, zeros(8)),
    ['tensor "a"', 'leaves a gap of 4 bytes: the data section starts at 0'],
  ],
  [
    'bytes after the last tensor',
    file(`{${F32('a', [1], 0, 4)}}`, zeros(9)),
    ['5 bytes after the last tensor (the data section is 9 bytes, the tensors cover 4)'],
  ],
  [
    'dtype F8_E4M3',
    file('{"i":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', zeros(1)),
    ['tensor "i": field dtype: "F8_E4M3" is not supported by this reader'],
  ],
  [
    'dtype toString (not an own dtype)',
    file('{"i":{"dtype":"toString","shape":[1],"data_offsets":[0,4]}}', zeros(4)),
    ['tensor "i": field dtype: "toString" is not a safetensors dtype'],
  ],
  [
    'I64 beyond 2^53',
    file(
      '{"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}',
      [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 32, 0]
    ),
    ['tensor "n": element 1 (9007199254740993) of I64 is beyond 2^53'],
  ],
  [
    'dtype float32',
    file('{"i":{"dtype":"float32","shape":[1],"data_offsets":[0,4]}}', zeros(4)),
    ['tensor "i": field dtype: "float32" is not a safetensors dtype'],
  ],
  [
    'shape overflowing u64',
    file('{"t":{"dtype":"F32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', zeros(16)),
    ['tensor "t": field shape must be an array of integers >= 0'],
  ],
  [
    'data_offsets [4, 0]',
    file('{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', zeros(4)),
    ['tensor "t": field data_offsets must be [begin, end]', 'got [4,0]'],
  ],
  [
    'entry a string',
    file('{"t":"F32"}', []),
    ['tensor "t": header entry must be an object', 'got string'],
  ],
  [
    'metadata value a number',
    file('{"__metadata__":{"epoch":3}}'),
    ['header field "__metadata__"."epoch" must be a string, got number'],
  ],
];

for (const [name, bytes, fragments] of corrupt) {
  t(`parse rejects ${name}`, () => {
    throwsWith(
      () => parseSafetensors(bytes, 'model.safetensors'),
      ['model.safetensors: ', ...fragments],
      name
    );
  });
}

t('serialize rejects data/shape mismatch, bad shape, reserved name, non-string metadata', () => {
  throwsWith(
    () => serializeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } }),
    ['tensor "w"', 'data.length (5) must equal the product of shape [2,3] (6)'],
    'length'
  );
  throwsWith(
    () => serializeSafetensors({ w: { shape: [2, -3], data: new Float32Array(6) } }),
    ['tensor "w"', 'shape must be an array of integers >= 0'],
    'negative dim'
  );
  const text = 'ab' as unknown as Float32Array;
  throwsWith(
    () => serializeSafetensors({ w: { shape: [2], data: text } }),
    ['tensor "w"', 'data must be an array or typed array of numbers, got [object String]'],
    'string'
  );
  throwsWith(
    () => serializeSafetensors({ w: { shape: [1], data: [1], dtype: 'float32' } }),
    ['tensor "w"', 'dtype must be one of BOOL, U8', 'got "float32"'],
    'dtype'
  );
  throwsWith(
    () => serializeSafetensors({ n: { shape: [3], data: [1, 2.5, 3], dtype: 'I64' } }),
    ['tensor "n"', 'element 1 (2.5) is not an integer in the I64 range'],
    'fraction'
  );
  throwsWith(
    () => serializeSafetensors({ n: { shape: [2], data: [255, 256], dtype: 'U8' } }),
    ['tensor "n"', 'element 1 (256) is not an integer in the U8 range [0, 255]'],
    'U8 range'
  );
  throwsWith(
    () => serializeSafetensors({ n: { shape: [1], data: [2 ** 53], dtype: 'I64' } }),
    ['tensor "n"', 'element 0 (9007199254740992) is not an integer in the I64 range'],
    'I64'
  );
  const reserved = { __metadata__: { shape: [1], data: new Float32Array(1) } };
  throwsWith(
    () => serializeSafetensors(reserved),
    ['tensor "__metadata__"', 'reserved'],
    'reserved name'
  );
  throwsWith(
    () => serializeSafetensors({}, { epoch: 3 as unknown as string }),
    ['metadata["epoch"] must be a string, got number'],
    'metadata'
  );
});

// Every 16-bit pattern as F16 and BF16: decoding then encoding gives the pattern back (NaNs come
// back quiet: F16 0x7e00, BF16 0x7fc0 as PyTorch writes it).
for (const dtype of ['F16', 'BF16'] as const) {
  t(`${dtype} write: all 65536 bit patterns round-trip, NaN made quiet as PyTorch does`, () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const header = `{"h":{"dtype":"${dtype}","shape":[65536],"data_offsets":[0,131072]}}`;
    const src = file(header, new Uint8Array(bits.buffer));
    const { tensors } = parseSafetensors(src, 'all');
    const out = serializeSafetensors({ h: { shape: [65536], data: tensors.h.data, dtype } });
    const view = new DataView(out.buffer, out.length - 131072);
    for (let i = 0; i < 65536; i++) {
      const nan = Number.isNaN(tensors.h.data[i]);
      const want = !nan ? i : dtype === 'F16' ? 0x7e00 : 0x7fc0;
      const got = view.getUint16(2 * i, true);
      if (got !== want) {
        throw new Error(
          `${dtype} bits ${i.toString(16)} (${tensors.h.data[i]}) wrote ` +
            `${got.toString(16)}, want ${want.toString(16)}`
        );
      }
    }
  });
}

t('F16/BF16 write rounds f32 values to nearest even, overflow to Inf', () => {
  const cases: [number, number, number][] = [
    // value, F16 bits, BF16 bits
    [1 + 2 ** -11, 0x3c00, 0x3f80],
    [1 + 3 * 2 ** -11, 0x3c02, 0x3f80],
    [1 + 2 ** -8, 0x3c04, 0x3f80],
    [1 + 3 * 2 ** -8, 0x3c0c, 0x3f82],
    [65519, 0x7bff, 0x4780],
    [65520, 0x7c00, 0x4780],
    [-1e6, 0xfc00, 0xc974],
    [2 ** -25, 0x0000, 0x3300],
    [3 * 2 ** -26, 0x0001, 0x3340],
    [-0, 0x8000, 0x8000],
    [Infinity, 0x7c00, 0x7f80],
    [3.4028234663852886e38, 0x7c00, 0x7f80],
  ];
  for (const [v, h, b] of cases) {
    for (const [dtype, want] of [
      ['F16', h],
      ['BF16', b],
    ] as const) {
      const out = serializeSafetensors({ v: { shape: [], data: [v], dtype } });
      const got = new DataView(out.buffer).getUint16(out.length - 2, true);
      if (got !== want)
        throw new Error(`${dtype}(${v}): bits ${got.toString(16)}, want ${want.toString(16)}`);
    }
  }
});

t.run();
