// The fine-tuned network of examples/fine-tune.ts in a module of its own, so data-parallel
// workers can import it (`replica.model`): torchvision's ResNet-18 with its 1000-class head
// replaced by one for `classes` classes, as in PyTorch's fine-tuning tutorial.
import { nn, torchvision } from 'simdgrad';

/**
 * torchvision.models.resnet18() with `model.fc = nn.Linear(512, classes)`. frozenBackbone: only
 * the head trains, so model.train() leaves everything else in eval mode (batch norm keeps the
 * loaded running statistics instead of normalising each batch by its own).
 */
export function resnet18WithHead(classes: number, frozenBackbone = false): nn.Module {
  const model = torchvision.resnet18();
  model.fc = new nn.Linear(512, classes);
  if (frozenBackbone) {
    const train = model.train;
    model.train = (mode = true) => {
      train.call(model, false);
      model.training = mode;
      model.fc.train(mode);
      return model;
    };
  }
  return model;
}
