// A custom CNN class for 28x28 digits, in its own module so that data-parallel workers can import
// it (custom-cnn.ts names this file in the Trainer's `replica` option).
import { F, nn, type Tensor } from 'simdgrad';

/** conv 3x3x16 -> pool -> conv 3x3x32 -> pool -> dense `hidden` -> dropout -> dense 10. */
export class Net extends nn.Module {
  readonly conv1: nn.Conv2d;
  readonly conv2: nn.Conv2d;
  readonly fc1: nn.Linear;
  readonly dropout: nn.Dropout;
  readonly fc2: nn.Linear;

  constructor(hidden = 64) {
    super();
    // Modules assigned to fields register under the field names, in this order, as in PyTorch:
    // the state dict holds conv1.weight, conv1.bias, conv2.weight, ...
    this.conv1 = new nn.Conv2d(1, 16, 3);
    this.conv2 = new nn.Conv2d(16, 32, 3);
    this.fc1 = new nn.Linear(32 * 5 * 5, hidden);
    this.dropout = new nn.Dropout(0.25);
    this.fc2 = new nn.Linear(hidden, 10);
  }

  forward(x: Tensor): Tensor {
    let h = F.maxPool2d(F.relu(this.conv1.forward(x)), { kernelSize: 2 }); // [N, 16, 13, 13]
    h = F.maxPool2d(F.relu(this.conv2.forward(h)), { kernelSize: 2 }); // [N, 32, 5, 5]
    h = this.dropout.forward(F.relu(this.fc1.forward(F.flatten(h))));
    return this.fc2.forward(h); // logits [N, 10]
  }
}
