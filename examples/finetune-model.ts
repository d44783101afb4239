// The fine-tuned network of examples/fine-tune.ts in a module of its own, so data-parallel
// workers can import it (`replica.model`): torchvision's ResNet-18 with its 1000-class head
// replaced by one for `classes` classes, as in PyTorch's fine-tuning tutorial.
import { nn, torchvision } from 'simdgrad';

/** torchvision.models.resnet18() with `model.fc = nn.Linear(512, classes)`. */
export function resnet18WithHead(classes: number): nn.Module {
  const model = torchvision.resnet18();
  model.fc = new nn.Linear(512, classes);
  return model;
}
