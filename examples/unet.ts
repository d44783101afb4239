// A small U-Net for 28x28 images, in its own module so that data-parallel workers can import it
// (denoise-unet.ts names this file in the Trainer's `replica` option). Two downsamplings by max
// pooling, two upsamplings (a transposed convolution, then nearest upsampling + conv), each
// followed by F.cat with the encoder's features at that scale (the skip connections).
import { F, nn, type Tensor } from 'simdgrad';

/** conv 3x3 (padding 1) -> ReLU -> conv 3x3 -> ReLU: the block at every scale. */
class DoubleConv extends nn.Module {
  readonly conv1: nn.Conv2d;
  readonly conv2: nn.Conv2d;

  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, outChannels, 3, { padding: 1 });
    this.conv2 = new nn.Conv2d(outChannels, outChannels, 3, { padding: 1 });
  }

  forward(x: Tensor): Tensor {
    return F.relu(this.conv2.forward(F.relu(this.conv1.forward(x))));
  }
}

/** [N, 1, 28, 28] -> [N, 1, 28, 28], `width` channels at full resolution, 2x and 4x at 14 and 7. */
export class UNet extends nn.Module {
  readonly enc1: DoubleConv;
  readonly enc2: DoubleConv;
  readonly bottleneck: DoubleConv;
  readonly up2: nn.ConvTranspose2d;
  readonly dec2: DoubleConv;
  readonly up1: nn.Sequential;
  readonly dec1: DoubleConv;
  readonly head: nn.Conv2d;

  constructor(width = 16) {
    super();
    const w = width;
    this.enc1 = new DoubleConv(1, w); // 28x28
    this.enc2 = new DoubleConv(w, 2 * w); // 14x14
    this.bottleneck = new DoubleConv(2 * w, 4 * w); // 7x7
    // Learned upsampling 7 -> 14, then fixed upsampling 14 -> 28 with a conv: both ways of going up.
    this.up2 = new nn.ConvTranspose2d(4 * w, 2 * w, 2, { stride: 2 });
    this.dec2 = new DoubleConv(4 * w, 2 * w); // cat(up2, enc2): 2w + 2w channels
    this.up1 = new nn.Sequential(
      new nn.Upsample({ scaleFactor: 2, mode: 'nearest' }),
      new nn.Conv2d(2 * w, w, 3, { padding: 1 })
    );
    this.dec1 = new DoubleConv(2 * w, w); // cat(up1, enc1): w + w channels
    this.head = new nn.Conv2d(w, 1, 1);
  }

  forward(x: Tensor): Tensor {
    const e1 = this.enc1.forward(x); // [N, w, 28, 28]
    const e2 = this.enc2.forward(F.maxPool2d(e1, { kernelSize: 2 })); // [N, 2w, 14, 14]
    const b = this.bottleneck.forward(F.maxPool2d(e2, { kernelSize: 2 })); // [N, 4w, 7, 7]
    const d2 = this.dec2.forward(F.cat([this.up2.forward(b), e2], 1)); // [N, 2w, 14, 14]
    const d1 = this.dec1.forward(F.cat([this.up1.forward(d2), e1], 1)); // [N, w, 28, 28]
    return this.head.forward(d1); // the clean image, [N, 1, 28, 28]
  }
}
