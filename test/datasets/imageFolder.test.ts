import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { RandomStream } from '../../src/random.js';
import { datasets } from '../../src/datasets/index.js';
import { evalPlan, randomResizedCropBox } from '../../src/datasets/imageFolder/geometry.js';
import { decodeImage } from '../../src/datasets/imageFolder/decode.js';
import { scanImageFolder } from '../../src/datasets/imageFolder/scan.js';
import { IMAGENET_NORMALIZATION, ImageFolderDataset } from '../../src/datasets/imageFolder/dataset.js';
import type { Batch, Dataset } from '../../src/datasets/types.js';
import { rawPng, solidJpeg, writeSolidFolder, type Rgb } from './fixtures/images.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'vdm-folder-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

const COLOURS: Record<string, Rgb> = { n02_dog: [200, 30, 30], n01_cat: [30, 200, 30], n10_fish: [30, 30, 200] };
const IDENTITY = { mean: [0, 0, 0], std: [1, 1, 1] };

async function collect(dataset: Dataset, split: 'train' | 'test', batchSize: number, rng?: RandomStream): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of dataset.batches(split, { batchSize, rng })) out.push(batch);
  return out;
}

test('random-resized-crop boxes stay inside the image with area share and aspect in range', () => {
  const rng = RandomStream.derive(3, 'rrc');
  for (let i = 0; i < 500; i++) {
    const box = randomResizedCropBox(500, 375, rng);
    assert.ok(box.left >= 0 && box.top >= 0 && box.left + box.width <= 500 && box.top + box.height <= 375, JSON.stringify(box));
    const share = (box.width * box.height) / (500 * 375);
    assert.ok(share > 0.075 && share <= 1.0001, `area share ${share}`);
    const aspect = box.width / box.height;
    assert.ok(aspect > 0.7 && aspect < 1.43, `aspect ${aspect}`);
  }
  const a = randomResizedCropBox(500, 375, new RandomStream([1, 2, 3, 5]));
  assert.deepEqual(randomResizedCropBox(500, 375, new RandomStream([1, 2, 3, 5])), a, 'same stream, same box');
  // A 1000x10 strip can never fit a crop of aspect <= 4/3 and area >= 8%: the fallback center crop.
  assert.deepEqual(randomResizedCropBox(1000, 10, RandomStream.derive(1, 'x')), { left: 493, top: 0, width: 13, height: 10 });
});

test('eval plan: shorter side to size/0.875, then the center size x size (offsets rounded as Python does)', () => {
  // (341 - 224) / 2 = 58.5: Python's round gives 58, Math.round would give 59
  assert.deepEqual(evalPlan(500, 375, 224), { resizeWidth: 341, resizeHeight: 256, crop: { left: 58, top: 16, width: 224, height: 224 } });
  assert.deepEqual(evalPlan(375, 500, 224), { resizeWidth: 256, resizeHeight: 341, crop: { left: 16, top: 58, width: 224, height: 224 } });
  assert.deepEqual(evalPlan(600, 400, 64), { resizeWidth: 109, resizeHeight: 73, crop: { left: 22, top: 4, width: 64, height: 64 } });
  assert.deepEqual(evalPlan(64, 64, 56), { resizeWidth: 64, resizeHeight: 64, crop: { left: 4, top: 4, width: 56, height: 56 } });
});

test('eval decode of a lossless image is exactly its center crop', async (t) => {
  const root = tempRoot(t);
  const side = 16;
  const rgb = Uint8Array.from({ length: side * side * 3 }, (_, i) => (i * 37) % 251);
  const path = join(root, 'a.png');
  writeFileSync(path, await rawPng(side, side, rgb));
  const result = await decodeImage({ path, size: 14, mode: 'eval', ...IDENTITY });
  assert.ok(result.ok);
  for (let y = 0; y < 14; y++)
    for (let x = 0; x < 14; x++)
      for (let c = 0; c < 3; c++) assert.equal(result.pixels[(y * 14 + x) * 3 + c], rgb[((y + 1) * side + x + 1) * 3 + c], `(${y},${x},${c})`);
});

test('train decode: each crop is a resized window, mirrored about half the time', async (t) => {
  const root = tempRoot(t);
  // Brightness rises left to right: an unflipped crop keeps rows rising, a flipped one falling.
  const [w, h] = [64, 48];
  const rgb = new Uint8Array(w * h * 3).map((_, i) => Math.floor((i / 3) % w) * 4);
  const path = join(root, 'ramp.png');
  writeFileSync(path, await rawPng(w, h, rgb));
  let flipped = 0;
  const seeds = 24;
  for (let s = 0; s < seeds; s++) {
    const rngState = RandomStream.derive(s, 'img').getState();
    const result = await decodeImage({ path, size: 16, mode: 'train', rngState, ...IDENTITY });
    assert.ok(result.ok);
    const first = result.pixels[0];
    const last = result.pixels[15 * 3];
    assert.notEqual(first, last);
    if (first > last) flipped++;
    const again = await decodeImage({ path, size: 16, mode: 'train', rngState, ...IDENTITY });
    assert.ok(again.ok);
    assert.deepEqual(again.pixels, result.pixels, 'the same stream gives the same crop');
  }
  assert.ok(flipped > 4 && flipped < seeds - 4, `${flipped} of ${seeds} flipped`);
});

test('scan: classes are the sorted training folders; images sorted within each', async (t) => {
  const root = tempRoot(t);
  await writeSolidFolder(root, 'train', COLOURS, 2);
  await writeSolidFolder(root, 'val', { n10_fish: COLOURS.n10_fish }, 1);
  writeFileSync(join(root, 'train', 'n01_cat', 'notes.txt'), 'not an image');
  const index = await scanImageFolder(root, 'train', 'val');
  assert.deepEqual(index.classNames, ['n01_cat', 'n02_dog', 'n10_fish']);
  assert.deepEqual([...index.train.labels], [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(index.train.files.slice(0, 2), [join(root, 'train/n01_cat/img_0.JPEG'), join(root, 'train/n01_cat/img_1.JPEG')]);
  assert.deepEqual([...index.test.labels], [2]);
});

const layoutProblems: { what: string; build(root: string): Promise<void>; expect: RegExp }[] = [
  { what: 'no train folder', build: async () => {}, expect: /train not found; expected the layout .*train\/<class>\/<image>\.JPEG/ },
  {
    what: 'an empty class folder',
    build: async (root) => {
      await writeSolidFolder(root, 'train', COLOURS, 1);
      mkdirSync(join(root, 'train', 'n05_empty'));
    },
    expect: /train\/n05_empty: class folder has no images/,
  },
  { what: 'no class folders at all', build: async (root) => void mkdirSync(join(root, 'train'), { recursive: true }), expect: /train: no class folders/ },
  {
    what: 'a val class unknown to train',
    build: async (root) => {
      await writeSolidFolder(root, 'train', COLOURS, 1);
      await writeSolidFolder(root, 'val', { n99_bird: [1, 2, 3] }, 1);
    },
    expect: /val: class folders n99_bird are not among the training classes/,
  },
  { what: 'no val folder', build: (root) => writeSolidFolder(root, 'train', COLOURS, 1), expect: /val not found/ },
];

for (const problem of layoutProblems) {
  test(`scan: ${problem.what} is a DataError`, async (t) => {
    const root = tempRoot(t);
    await problem.build(root);
    await assert.rejects(scanImageFolder(root, 'train', 'val'), (e: Error) => e instanceof DataError && problem.expect.test(e.message));
  });
}

async function makeDataset(root: string, workers: number, extra: Record<string, unknown> = {}, subset?: { train?: number }): Promise<ImageFolderDataset> {
  const entry = datasets.get('image_folder');
  const params = entry.params.parse({ root, image_size: 16, workers, ...extra });
  return (await entry.create(params, { seed: 5, augment: 'standard', subset })) as ImageFolderDataset;
}

test('image folder data set: labels and normalised colours read back, in order, through the workers', async (t) => {
  const root = tempRoot(t);
  await writeSolidFolder(root, 'train', COLOURS, 3);
  await writeSolidFolder(root, 'val', COLOURS, 2);
  const dataset = await makeDataset(root, 2);
  t.after(() => dataset.close());
  assert.deepEqual(dataset.inputShape, [16, 16, 3]);
  assert.deepEqual(dataset.classNames, ['n01_cat', 'n02_dog', 'n10_fish']);
  const batches = await collect(dataset, 'test', 4);
  assert.deepEqual(batches.map((b) => b.size), [4, 2]);
  assert.deepEqual(batches.flatMap((b) => [...b.y]), [0, 0, 1, 1, 2, 2]);
  const { mean, std } = IMAGENET_NORMALIZATION;
  for (const batch of batches) {
    for (let k = 0; k < batch.size; k++) {
      const colour = COLOURS[dataset.classNames[batch.y[k]]];
      for (let p = 0; p < 16 * 16; p++)
        for (let c = 0; c < 3; c++) {
          const value = batch.x[(k * 256 + p) * 3 + c] * std[c] + mean[c];
          assert.ok(Math.abs(value - colour[c]) < 6, `image ${k} pixel ${p} channel ${c}: ${value} vs ${colour[c]}`);
        }
    }
  }
  const info = dataset.describe();
  assert.equal(info.train_size, 9);
  assert.equal(info.skipped_files, 0);
});

test('training batches depend on the seed only, not on the number of workers', async (t) => {
  const root = tempRoot(t);
  const ramp = new Uint8Array(40 * 30 * 3).map((_, i) => (i * 13) % 256);
  for (const cls of ['a', 'b']) {
    mkdirSync(join(root, 'train', cls), { recursive: true });
    mkdirSync(join(root, 'val', cls), { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(root, 'train', cls, `${i}.png`), await rawPng(40, 30, ramp.map((v) => (v + i * 40) % 256)));
    writeFileSync(join(root, 'val', cls, '0.png'), await rawPng(40, 30, ramp));
  }
  const one = await makeDataset(root, 1, { prefetch: 1 });
  const two = await makeDataset(root, 2, { prefetch: 3 });
  t.after(async () => {
    await one.close();
    await two.close();
  });
  const a = await collect(one, 'train', 3, RandomStream.derive(9, 'epoch', 1));
  const b = await collect(two, 'train', 3, RandomStream.derive(9, 'epoch', 1));
  const c = await collect(two, 'train', 3, RandomStream.derive(9, 'epoch', 2));
  assert.deepEqual(a.map((x) => [...x.y]), b.map((x) => [...x.y]));
  a.forEach((batch, i) => assert.deepEqual(batch.x, b[i].x, `batch ${i}`));
  assert.notDeepEqual(a.map((x) => x.x), c.map((x) => x.x), 'another epoch stream gives other crops');
});

test('corrupt and truncated images are skipped with one warning each and counted, never a crash', async (t) => {
  const root = tempRoot(t);
  await writeSolidFolder(root, 'train', COLOURS, 2);
  await writeSolidFolder(root, 'val', COLOURS, 1);
  writeFileSync(join(root, 'train', 'n01_cat', 'broken.JPEG'), 'this is not a jpeg');
  const good = await solidJpeg(50, 38, [1, 2, 3]);
  writeFileSync(join(root, 'train', 'n02_dog', 'cut.jpg'), good.subarray(0, Math.floor(good.length / 2)));
  const warnings: string[] = [];
  const index = await scanImageFolder(root, 'train', 'val');
  const dataset = new ImageFolderDataset(index, { name: 'x', root, imageSize: 16, workers: 2, prefetch: 2, warn: (m) => warnings.push(m) }, { seed: 1, augment: 'standard' });
  t.after(() => dataset.close());
  for (let epoch = 0; epoch < 2; epoch++) {
    const batches = await collect(dataset, 'train', 4, RandomStream.derive(1, 'epoch', epoch));
    assert.equal(batches.reduce((n, b) => n + b.size, 0), 6);
  }
  assert.equal(warnings.length, 2);
  assert.ok(warnings.some((w) => w.includes('broken.JPEG')) && warnings.some((w) => w.includes('cut.jpg')));
  const info = dataset.describe();
  assert.equal(info.skipped_files, 2);
  assert.equal((info.skipped_examples as string[]).length, 2);
});

test('a split with no readable image is a DataError naming the folder, not an empty pass', async (t) => {
  const root = tempRoot(t);
  await writeSolidFolder(root, 'train', COLOURS, 1);
  for (const name of Object.keys(COLOURS)) {
    mkdirSync(join(root, 'val', name), { recursive: true });
    writeFileSync(join(root, 'val', name, 'bad.JPEG'), 'not an image');
  }
  const index = await scanImageFolder(root, 'train', 'val');
  const dataset = new ImageFolderDataset(index, { name: 'x', root, imageSize: 16, workers: 1, prefetch: 1, warn: () => {} }, { seed: 1, augment: 'none' });
  t.after(() => dataset.close());
  assert.equal((await collect(dataset, 'train', 2)).reduce((n, b) => n + b.size, 0), 3);
  await assert.rejects(collect(dataset, 'test', 2), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, new RegExp(`^x: none of the 3 images in ${join(root, 'val')} could be read \\(e\\.g\\. .*bad\\.JPEG: .*\\); check the folder$`));
    return true;
  });
});

test('subset picks a class-balanced set of image files', async (t) => {
  const root = tempRoot(t);
  await writeSolidFolder(root, 'train', COLOURS, 4);
  await writeSolidFolder(root, 'val', COLOURS, 1);
  const dataset = await makeDataset(root, 1, {}, { train: 6 });
  t.after(() => dataset.close());
  assert.equal(dataset.size('train'), 6);
  const labels = (await collect(dataset, 'train', 6)).flatMap((b) => [...b.y]);
  assert.deepEqual(labels.sort(), [0, 0, 1, 1, 2, 2]);
});

test('registry entries: imagenet defaults to data/imagenet at 224; image_folder needs a root', () => {
  const imagenet = datasets.get('imagenet').params.parse({});
  assert.equal(imagenet.root, 'data/imagenet');
  assert.equal(imagenet.image_size, 224);
  assert.ok(imagenet.workers >= 1);
  assert.throws(() => datasets.get('image_folder').params.parse({}));
  assert.throws(() => datasets.get('imagenet').params.parse({ image_sise: 64 }));
});
