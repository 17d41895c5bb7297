// A deterministic, learnable image data set of any shape, for smoke runs and benchmarks:
// each class has a fixed random prototype image; examples are the prototype plus noise.
import { z } from 'zod';
import { RandomStream } from '../random.js';
import { InMemoryImageDataset, type ImageArrays } from './inMemory.js';
import type { DatasetEntry } from './types.js';

/** Both splits live in memory as bytes: a cap far above any smoke run keeps a typo from allocating terabytes. */
const MAX_SYNTHETIC_BYTES = 2 ** 31;
const MAX_SIDE = 1024;

const syntheticParams = z
  .object({
    shape: z.tuple([z.number().int().min(1).max(MAX_SIDE), z.number().int().min(1).max(MAX_SIDE), z.number().int().min(1).max(64)]).default([32, 32, 3]),
    classes: z.number().int().min(2).max(1000).default(10),
    size: z.number().int().min(1).max(10_000_000).default(1024).describe('training examples'),
    test_size: z.number().int().min(1).max(10_000_000).default(256),
    noise: z.number().min(0).max(1).default(0.5).describe('share of each pixel that is noise'),
    data_seed: z.number().int().default(0).describe('the data itself; independent of the run seed'),
  })
  .strict()
  .refine(({ shape, size, test_size }) => (size + test_size) * shape[0] * shape[1] * shape[2] <= MAX_SYNTHETIC_BYTES, {
    message: `(size + test_size) x shape must be at most ${MAX_SYNTHETIC_BYTES} bytes (2 GiB) of pixels; lower size or shape`,
    path: ['size'],
  });
export type SyntheticParams = z.infer<typeof syntheticParams>;

function makeSplit(p: SyntheticParams, prototypes: Uint8Array[], count: number, rng: RandomStream): ImageArrays {
  const imageBytes = p.shape[0] * p.shape[1] * p.shape[2];
  const pixels = new Uint8Array(count * imageBytes);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % p.classes; // balanced by construction
    labels[i] = label;
    const proto = prototypes[label];
    for (let j = 0; j < imageBytes; j++) {
      pixels[i * imageBytes + j] = Math.round((1 - p.noise) * proto[j] + p.noise * 255 * rng.uniform());
    }
  }
  return { pixels, labels };
}

export function buildSynthetic(p: SyntheticParams): { train: ImageArrays; test: ImageArrays } {
  const imageBytes = p.shape[0] * p.shape[1] * p.shape[2];
  const protoRng = RandomStream.derive(p.data_seed, 'synthetic', 'prototypes');
  const prototypes = Array.from({ length: p.classes }, () =>
    Uint8Array.from({ length: imageBytes }, () => protoRng.int(256)),
  );
  return {
    train: makeSplit(p, prototypes, p.size, RandomStream.derive(p.data_seed, 'synthetic', 'train')),
    test: makeSplit(p, prototypes, p.test_size, RandomStream.derive(p.data_seed, 'synthetic', 'test')),
  };
}

export const syntheticDataset: DatasetEntry<SyntheticParams> = {
  name: 'synthetic',
  description: 'deterministic learnable images (class prototype + noise) of any shape; for smoke runs and benchmarks',
  params: syntheticParams,
  async create(params, common) {
    const { train, test } = buildSynthetic(params);
    return new InMemoryImageDataset(
      {
        name: 'synthetic',
        inputShape: params.shape,
        classNames: Array.from({ length: params.classes }, (_, i) => `class_${i}`),
        train,
        test,
        info: { source: `generated (data_seed ${params.data_seed}, noise ${params.noise})` },
      },
      common,
    );
  },
};
