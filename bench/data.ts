// Input-pipeline throughput: CIFAR batch assembly + standard augmentation on one core, and
// JPEG-folder decode + random-resized-crop per worker on 500x375 JPEGs generated here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { RandomStream } from '../src/random.js';
import { InMemoryImageDataset } from '../src/datasets/inMemory.js';
import { ImageFolderDataset } from '../src/datasets/imageFolder/dataset.js';
import { scanImageFolder } from '../src/datasets/imageFolder/scan.js';
import type { Dataset } from '../src/datasets/types.js';

const CIFAR_GOAL = 20_000;

async function imagesPerSecond(dataset: Dataset, batchSize: number, epochs: number): Promise<number> {
  let images = 0;
  const start = process.hrtime.bigint();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for await (const batch of dataset.batches('train', { batchSize, rng: RandomStream.derive(1, 'bench', epoch) })) images += batch.size;
  }
  return images / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function cifarThroughput(): Promise<void> {
  const count = 10_000;
  const rng = RandomStream.derive(0, 'bench-cifar');
  const pixels = Uint8Array.from({ length: count * 3072 }, () => rng.int(256));
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  const dataset = new InMemoryImageDataset(
    { name: 'cifar-like', inputShape: [32, 32, 3], classNames: [...'0123456789'], train: { pixels, labels }, test: { pixels, labels } },
    { seed: 0, augment: 'standard' },
  );
  await imagesPerSecond(dataset, 128, 1); // warm-up: let the JIT settle
  const rate = await imagesPerSecond(dataset, 128, 3);
  const verdict = rate >= CIFAR_GOAL ? 'meets' : 'BELOW';
  console.log(`cifar batch assembly + standard augmentation (1 core, batch 128): ${Math.round(rate).toLocaleString('en')} images/s (${verdict} the ${CIFAR_GOAL.toLocaleString('en')}/s goal)`);
}

/** Photo-like content (smooth gradients plus noise) so the JPEGs compress like real photos. */
async function writeJpegs(root: string, perClass: number): Promise<void> {
  const [width, height] = [500, 375];
  const rng = RandomStream.derive(0, 'bench-jpeg');
  for (const split of ['train', 'val']) {
    for (const cls of ['c0', 'c1']) {
      mkdirSync(join(root, split, cls), { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const rgb = new Uint8Array(width * height * 3);
        for (let p = 0; p < width * height; p++) {
          const [x, y] = [p % width, Math.floor(p / width)];
          rgb[3 * p] = (x * 255) / width + rng.int(24);
          rgb[3 * p + 1] = (y * 255) / height + rng.int(24);
          rgb[3 * p + 2] = ((x + y + i * 50) % 256) + rng.int(24);
        }
        const jpeg = await sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
        writeFileSync(join(root, split, cls, `${i}.JPEG`), jpeg);
      }
    }
  }
}

async function jpegThroughput(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'vdm-bench-jpeg-'));
  try {
    await writeJpegs(root, 48);
    const index = await scanImageFolder(root, 'train', 'val');
    const cores = availableParallelism();
    for (const workers of [...new Set([1, cores])]) {
      const dataset = new ImageFolderDataset(index, { name: 'bench', root, imageSize: 224, workers, prefetch: 2 }, { seed: 0, augment: 'standard' });
      await imagesPerSecond(dataset, 32, 1); // warm-up: start workers, load sharp
      const rate = await imagesPerSecond(dataset, 32, 2);
      await dataset.close();
      console.log(
        `jpeg folder decode + random-resized-crop 224 + flip (500x375 JPEGs, ${workers} worker${workers > 1 ? 's' : ''}): ` +
          `${Math.round(rate)} images/s, ${Math.round(rate / workers)} per worker`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function bench(): Promise<void> {
  await cifarThroughput();
  await jpegThroughput();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bench();
