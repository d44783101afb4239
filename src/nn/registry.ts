// Every library layer under its PyTorch class name, so specs (src/nn/spec.ts) rebuild them in
// workers and from checkpoints. Importing this file registers them; a layer file added to nn/
// gets a line here. Tests: test/nn/spec.test.ts.

import * as activation from './activation.js';
import * as layers from './layers.js';
import * as loss from './loss.js';
import { Identity, Module } from './module.js';
import * as norm from './norm.js';
import * as softmax from './softmax.js';
import { registerLayer } from './spec.js';
import * as spatial from './spatial.js';

type LayerClass = abstract new (...args: never[]) => Module;

for (const family of [layers, activation, spatial, norm, softmax, loss, { Identity }]) {
  for (const [name, cls] of Object.entries(family)) {
    if (typeof cls === 'function' && cls.prototype instanceof Module && !name.startsWith('_')) {
      registerLayer(name, cls as LayerClass);
    }
  }
}
