// data.imageFolder and data.fromImages (src/data/image-folder.ts, images.ts): PNG and JPEG bytes
// decoded as torchvision's libpng/libjpeg decode them (test/fixtures/transforms.json: PNG exact,
// JPEG within a few levels on average: the decoders differ in chroma upsampling); a folder tree laid
// out as torchvision's ImageFolder expects (sorted classes, nested files, other files ignored);
// transforms at load; errors naming the file or folder.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import * as data from '../../src/data/index.js';
import { transforms as T } from '../../src/data/index.js';
import { decodeImage } from '../../src/data/image-folder.js';
import { loadFixture, type FixtureTensor } from '../fixture.js';

const t = suite('image-folder');

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`resolved; expected an error matching ${re}`);
}

interface DecodeCase {
  op: string;
  name: string;
  bytes: string;
  rgb: FixtureTensor;
}

for (const c of loadFixture<DecodeCase>('transforms').filter((k) => k.op === 'decode')) {
  t(`decode ${c.name} [${c.rgb.shape}] as torchvision does`, async () => {
    const px = await decodeImage(new Uint8Array(Buffer.from(c.bytes, 'base64')), c.name);
    const img = data.rgbaToImage(px);
    const [, h, w] = c.rgb.shape;
    assert.equal([px.height, px.width], [h, w]);
    // jpeg-js repeats each subsampled (4:2:0) chroma sample where libjpeg interpolates
    // ("fancy upsampling"): sharp colour changes differ by up to ~20 levels, 4 on average here.
    const [maxTol, meanTol] =
      c.name === 'rgb.jpg' ? [24, 5] : c.name.endsWith('.jpg') ? [4, 2] : [0, 0];
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < img.length; i++) {
      const d = Math.abs(Math.round(img[i] * 255) - c.rgb.data[i]);
      worst = Math.max(worst, d);
      sum += d;
    }
    assert.ok(
      worst <= maxTol && sum / img.length <= meanTol,
      `${c.name}: largest difference ` +
        `${worst} levels, mean ${(sum / img.length).toFixed(2)} (tolerances ${maxTol}, ${meanTol})`
    );
  });
}

/** An RGBA image of one colour with a lighter square at (y, x). */
function picture(w: number, h: number, rgb: [number, number, number], y = 0, x = 0): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const inSquare =
      Math.floor(i / w) >= y && Math.floor(i / w) < y + 4 && i % w >= x && i % w < x + 4;
    for (let k = 0; k < 3; k++) px[4 * i + k] = inSquare ? 255 : rgb[k];
    px[4 * i + 3] = 255;
  }
  return px;
}

function pngBytes(w: number, h: number, px: Uint8Array): Uint8Array {
  const p = new PNG({ width: w, height: h });
  p.data.set(px);
  return new Uint8Array(PNG.sync.write(p));
}

const jpgBytes = (w: number, h: number, px: Uint8Array): Uint8Array =>
  new Uint8Array(jpeg.encode({ width: w, height: h, data: px }, 95).data);

async function tree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'simdgrad-imagefolder-'));
  // 'b' sorts after 'B' and 'a' (code points); 'a' holds a nested folder; notes.txt is skipped
  await mkdir(join(root, 'b'));
  await mkdir(join(root, 'a', 'more'), { recursive: true });
  await mkdir(join(root, 'B'));
  await writeFile(join(root, 'a', '2.png'), pngBytes(8, 6, picture(8, 6, [200, 0, 0])));
  await writeFile(join(root, 'a', '10.PNG'), pngBytes(8, 6, picture(8, 6, [190, 0, 0], 1, 1)));
  await writeFile(join(root, 'a', 'more', '1.jpg'), jpgBytes(8, 6, picture(8, 6, [180, 0, 0])));
  await writeFile(join(root, 'a', 'notes.txt'), 'not an image');
  await writeFile(join(root, 'b', 'x.jpeg'), jpgBytes(8, 6, picture(8, 6, [0, 0, 200], 2, 3)));
  await writeFile(join(root, 'B', 'y.png'), pngBytes(8, 6, picture(8, 6, [0, 200, 0])));
  await writeFile(join(root, 'README'), 'files at the top are not classes');
  return root;
}

t(
  'imageFolder: sorted classes, files in os.walk order, RGB floats [3, H, W] in [0, 1]',
  async () => {
    const root = await tree();
    try {
      const ds = await data.imageFolder(root);
      assert.equal(ds.classNames, ['B', 'a', 'b']);
      assert.equal(ds.classToIdx, { B: 0, a: 1, b: 2 });
      assert.equal(
        ds.samples.map(([p, l]) => [p.slice(root.length + 1), l]),
        [
          ['B/y.png', 0],
          ['a/10.PNG', 1],
          ['a/2.png', 1],
          ['a/more/1.jpg', 1],
          ['b/x.jpeg', 2],
        ]
      );
      assert.equal([...ds.labels], [0, 1, 1, 1, 2]);
      assert.equal([ds.n, ds.classes, ds.sampleShape, ds.shape], [5, 3, [3, 6, 8], [5, 3, 6, 8]]);
      const plane = 48;
      // B/y.png: green (0, 200, 0) background at (5, 7), its light square at (0, 0)
      assert.equal(
        [ds.images[5 * 8 + 7], ds.images[plane + 5 * 8 + 7], ds.images[2 * plane + 5 * 8 + 7]],
        [0, Math.fround(200 / 255), 0]
      );
      assert.equal(ds.images[plane], 1);
      // the JPEG's background is red 180 within a few levels
      const j = 3 * 3 * plane;
      assert.ok(Math.abs(ds.images[j + 5 * 8 + 7] * 255 - 180) < 4);
    } finally {
      await rm(root, { recursive: true });
    }
  }
);

t(
  'imageFolder: a transform at load gives the size; mixed sizes without one fail naming files',
  async () => {
    const root = await tree();
    try {
      await writeFile(join(root, 'b', 'big.png'), pngBytes(12, 10, picture(12, 10, [0, 0, 100])));
      await rejects(
        data.imageFolder(root),
        /images differ in size: .*B\/y\.png gives \[3, 6, 8\], .*b\/big\.png \[3, 10, 12\]/
      );
      const tf = new T.Compose([new T.Resize(4), new T.CenterCrop(4), new T.Normalize()]);
      const ds = await data.imageFolder(root, { transform: tf });
      assert.equal(ds.sampleShape, [3, 4, 4]);
      assert.is(ds.n, 6);
      assert.ok(
        ds.images.some((v) => v < 0),
        'normalised'
      );
    } finally {
      await rm(root, { recursive: true });
    }
  }
);

t(
  'imageFolder: errors name the folder, the classes without images, the undecodable file',
  async () => {
    const root = await mkdtemp(join(tmpdir(), 'simdgrad-imagefolder-'));
    try {
      await rejects(
        data.imageFolder(join(root, 'missing')),
        /imageFolder: cannot read the folder .*missing/
      );
      await rejects(data.imageFolder(root), /has no sub-folders/);
      await mkdir(join(root, 'cat'));
      await mkdir(join(root, 'dog'));
      await writeFile(join(root, 'cat', 'a.png'), pngBytes(2, 2, picture(2, 2, [1, 2, 3])));
      await rejects(data.imageFolder(root), /found no image files for the classes dog/);
      await writeFile(join(root, 'dog', 'b.webp'), 'RIFF....WEBP');
      await rejects(
        data.imageFolder(root),
        /dog\/b\.webp: byte offset 0: not a PNG or JPEG file \(starts 52 49 46 46\)/
      );
      await writeFile(
        join(root, 'dog', 'b.webp'),
        Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0)
      );
      await rejects(data.imageFolder(root), /dog\/b\.webp: cannot decode the PNG file/);
    } finally {
      await rm(root, { recursive: true });
    }
  }
);

t('fromImages: ImageData-like pixels with labels, class names, transform; errors', () => {
  const imgs = [0, 1, 2].map((k) => ({
    width: 5,
    height: 4,
    data: picture(5, 4, [k * 100, 0, 0]),
  }));
  const ds = data.fromImages(imgs, [1, 0, 1], { classNames: ['x', 'y'] });
  assert.equal(
    [ds.n, ds.sampleShape, [...ds.labels], ds.classNames, ds.classes],
    [3, [3, 4, 5], [1, 0, 1], ['x', 'y'], 2]
  );
  assert.is(ds.images[2 * 60 + 19], Math.fround(200 / 255));
  const small = data.fromImages(imgs, [0, 1, 2], { transform: new T.CenterCrop(2) });
  assert.equal(
    [small.sampleShape, small.classNames],
    [
      [3, 2, 2],
      ['0', '1', '2'],
    ]
  );
  assert.throws(() => data.fromImages(imgs, [0, 1]), /fromImages: 2 labels for 3 images/);
  assert.throws(() => data.fromImages(imgs, [0, 1, -1]), /labels\[2\] must be an integer >= 0/);
  assert.throws(
    () => data.fromImages(imgs, [0, 1, 2], { classNames: ['a'] }),
    /label 2 has no class name/
  );
  assert.throws(
    () => data.fromImages([{ width: 2, height: 2, data: new Uint8Array(3) }], [0]),
    /image 0: 2x2 RGBA pixels need 16 bytes, got 3/
  );
});

t.run();
