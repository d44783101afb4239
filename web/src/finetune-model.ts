// The demo's fine-tuned ResNet-18 in a module of its own, so the Web Workers can import it
// (the Trainer's replica.model, from dist/web/src/finetune-model.js): torchvision's resnet18 with a
// new head for `classes` classes; only the head trains, so model.train() leaves the backbone (its
// batch norm) in eval mode. examples/finetune-model.ts is its counterpart for an app.

import { nn, torchvision } from '../../src/index.js';

export function resnet18WithHead(classes: number): torchvision.ResNet {
  const model = torchvision.resnet18();
  model.fc = new nn.Linear(512, classes);
  const train = model.train;
  model.train = (mode = true) => {
    train.call(model, false);
    model.training = mode;
    model.fc.train(mode);
    return model;
  };
  return model;
}
