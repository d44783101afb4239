// What rebuilds a model elsewhere (a worker thread, a later loadModel): a zoo name, or the layer
// spec of a model built from library layers (src/nn/spec.ts). Tests: test/nn/spec.test.ts.

import type { Module } from '../nn/module.js';
import '../nn/registry.js';
import { buildModule, moduleSpec, type ModuleSpec } from '../nn/spec.js';
import { createModel, zooName } from './zoo.js';

/** A zoo model by name, or a tree of library layers. */
export type ModelSpec = { zoo: string } | ModuleSpec;

/**
 * How to rebuild model: its zoo name when createModel made it, else its layer spec when it is
 * built from library layers only, else null (a custom Module class: name its ES module instead).
 *
 * @example
 * modelSpec(createModel('lenet5'));                       // { zoo: 'lenet5' }
 * modelSpec(new nn.Sequential(new nn.Linear(4, 1)));      // { type: 'Sequential', args: [...] }
 */
export function modelSpec(model: Module): ModelSpec | null {
  const name = zooName(model);
  return name ? { zoo: name } : moduleSpec(model);
}

/** A fresh model (new parameters) from a spec made by modelSpec. */
export function buildModel(spec: ModelSpec): Module {
  if (spec && typeof spec === 'object' && 'zoo' in spec) return createModel(spec.zoo);
  return buildModule(spec);
}
