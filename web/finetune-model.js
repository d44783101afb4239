// The demo's fine-tuned ResNet-18 in a module of its own, so the Web Workers can import it
// (the Trainer's replica.model): torchvision's resnet18 with a new head for `classes` classes;
// only the head trains, so model.train() leaves the backbone (its batch norm) in eval mode.
import * as sg from '/dist/src/index.js';

export function resnet18WithHead(classes) {
  const model = sg.torchvision.resnet18();
  model.fc = new sg.nn.Linear(512, classes);
  const train = model.train;
  model.train = (mode = true) => {
    train.call(model, false);
    model.training = mode;
    model.fc.train(mode);
    return model;
  };
  return model;
}
