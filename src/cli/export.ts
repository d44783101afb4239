// `simdgrad export`: saved weights (train --save output, a checkpoint, or any safetensors file
// that names its model) into an ONNX file, through exportOnnx. Tests: test/io/onnx-cli.test.ts.

import { checkWritable, writeFileAtomic } from '../io/safetensors-node.js';
import { exportOnnx } from '../io/onnx.js';
import { loadModel } from '../models/inference.js';
import { inputShape, models, zooName } from '../models/zoo.js';
import { createRuntime } from '../runtime/load.js';
import { rand } from '../tensor/factories.js';
import { setRuntime } from '../tensor/tensor.js';
import { UsageError, type ArgSpec } from './args.js';
import '../autograd/tape.js';

const WHO = 'simdgrad export';

export const EXPORT_SPEC: Record<string, ArgSpec> = {
  load: {
    type: 'string',
    help:
      'weights to export (safetensors: train --save output, a training ' +
      'checkpoint, or a file whose metadata names its model)',
  },
  onnx: { type: 'string', help: 'the ONNX file to write' },
  model: {
    type: 'string',
    help: 'zoo model the weights are for (default: the one the file names)',
    choices: Object.keys(models),
  },
  opset: { type: 'integer', help: 'ONNX opset, 17 to 21', default: 17, min: 17 },
  batch: { type: 'integer', help: 'batch size of the example traced', default: 1, min: 1 },
  'static-batch': {
    type: 'boolean',
    help: 'fix the batch size to --batch (default: a symbolic batch dim)',
  },
  'input-shape': {
    type: 'string',
    help: "shape of one input, C,H,W (default: the zoo model's, e.g. 1,28,28)",
  },
  build: {
    type: 'string',
    help: 'kernel build',
    default: 'auto',
    choices: ['auto', 'simd128', 'relaxed'],
  },
};

function parseShape(raw: string): number[] {
  const dims = raw.split(',').map((s) => Number(s.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(
      `${WHO}: --input-shape must be positive integers separated by commas, ` +
        `e.g. 1,28,28; got '${raw}'`
    );
  }
  return dims;
}

export async function exportCommand(o: Record<string, unknown>): Promise<void> {
  const load = o.load as string | undefined;
  const out = o.onnx as string | undefined;
  if (!load) throw new UsageError(`${WHO}: --load <weights.safetensors> is required`);
  if (!out) throw new UsageError(`${WHO}: --onnx <out.onnx> is required`);
  if ((o.opset as number) > 21) {
    throw new UsageError(`${WHO}: --opset must be 17 to 21; got ${o.opset as number}`);
  }
  try {
    await checkWritable(out);
  } catch (e) {
    throw new UsageError(`${WHO}: --onnx ${out}: ${(e as Error).message}`);
  }
  const rt = await createRuntime({ build: o.build as 'auto' | 'simd128' | 'relaxed' });
  setRuntime(rt);
  const model = await loadModel(load, o.model as string | undefined);
  const name = zooName(model);
  const raw = o['input-shape'] as string | undefined;
  if (!raw && !name) {
    throw new UsageError(
      `${WHO}: ${load} holds a model built from layers (no zoo name): give ` + '--input-shape C,H,W'
    );
  }
  const sample = raw ? parseShape(raw) : inputShape(name!);
  const batch = o.batch as number;
  const x = rand([batch, ...sample]);
  const dynamicBatch = o['static-batch'] !== true;
  const bytes = exportOnnx(model, x, { opset: o.opset as number, dynamicBatch });
  x.dispose();
  await writeFileAtomic(out, bytes, WHO);
  const shape = `[${dynamicBatch ? 'batch' : batch},${sample.join(',')}]`;
  process.stdout.write(
    `${out}: ${name ?? 'model'} as ONNX opset ${o.opset as number}, input ${shape}, ` +
      `${(bytes.length / 1024).toFixed(0)} KiB\n`
  );
}
