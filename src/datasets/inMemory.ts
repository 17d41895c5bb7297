// A data set held in memory as uint8 HWC images (MNIST, CIFAR, synthetic): subsetting,
// seeded shuffling, augmentation and normalisation, shared by every such source.
import { commonFacts } from './describe.js';
import { balancedSubset } from './subset.js';
import { drawPlacement, writeAugmented, type Normalization } from './augment.js';
import type { AugmentName, Batch, BatchOptions, CommonDatasetOptions, Dataset, Split } from './types.js';

/** One split's raw examples: `count` images of H*W*C bytes each, back to back. */
export interface ImageArrays {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array | Int32Array;
}

export interface InMemorySource {
  readonly name: string;
  readonly inputShape: readonly [number, number, number];
  readonly classNames: readonly string[];
  readonly train: ImageArrays;
  readonly test: ImageArrays;
  /** Per-channel mean/std on the 0..255 scale; computed from the training pixels if absent. */
  readonly normalization?: Normalization;
  /** Extra facts for describe(): where it was read from, etc. */
  readonly info?: Record<string, unknown>;
}

/** Mean and std per channel over all training pixels. */
export function channelStats(pixels: Uint8Array, channels: number): Normalization {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    sum[i % channels] += v;
    sumSq[i % channels] += v * v;
  }
  const n = pixels.length / channels;
  const mean = [...sum].map((s) => s / n);
  const std = [...sumSq].map((s, ch) => Math.sqrt(Math.max(s / n - mean[ch] ** 2, 1e-6)));
  return { mean, std };
}

function pickExamples(split: ImageArrays, indices: Int32Array, imageBytes: number): ImageArrays {
  const pixels = new Uint8Array(indices.length * imageBytes);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, dst) => {
    pixels.set(split.pixels.subarray(src * imageBytes, (src + 1) * imageBytes), dst * imageBytes);
    labels[dst] = split.labels[src];
  });
  return { pixels, labels };
}

export class InMemoryImageDataset implements Dataset {
  readonly name: string;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly normalization: Normalization;
  private readonly splits: Record<Split, ImageArrays>;
  private readonly imageBytes: number;
  private readonly augment: AugmentName;
  private readonly info: Record<string, unknown>;

  constructor(source: InMemorySource, common: CommonDatasetOptions) {
    this.name = source.name;
    this.inputShape = source.inputShape;
    this.classNames = source.classNames;
    this.numClasses = source.classNames.length;
    this.imageBytes = source.inputShape[0] * source.inputShape[1] * source.inputShape[2];
    this.augment = common.augment;
    this.splits = { train: source.train, test: source.test };
    for (const split of ['train', 'test'] as const) {
      const count = common.subset?.[split];
      if (count !== undefined) {
        const indices = balancedSubset(this.splits[split].labels, this.numClasses, count, common.seed, `${this.name} ${split}`);
        this.splits[split] = pickExamples(this.splits[split], indices, this.imageBytes);
      }
    }
    this.normalization = source.normalization ?? channelStats(this.splits.train.pixels, source.inputShape[2]);
    this.info = source.info ?? {};
  }

  size(split: Split): number {
    return this.splits[split].labels.length;
  }

  async *batches(split: Split, options: BatchOptions): AsyncIterableIterator<Batch> {
    const data = this.splits[split];
    const count = data.labels.length;
    const order = options.rng ? options.rng.permutation(count) : null;
    const augment = split === 'train' ? this.augment : 'none';
    for (let start = 0, index = 0; start < count; start += options.batchSize, index++) {
      const size = Math.min(options.batchSize, count - start);
      if (index < (options.skip ?? 0)) {
        for (let k = 0; k < size; k++) drawPlacement(augment, options.rng); // keep the stream aligned
        continue;
      }
      const x = new Float32Array(size * this.imageBytes);
      const y = new Int32Array(size);
      for (let k = 0; k < size; k++) {
        const example = order ? order[start + k] : start + k;
        const placement = drawPlacement(augment, options.rng);
        writeAugmented(data.pixels, example * this.imageBytes, this.inputShape, placement, this.normalization, x, k * this.imageBytes);
        y[k] = data.labels[example];
      }
      yield { x, y, size };
    }
  }

  describe(): Record<string, unknown> {
    return { ...commonFacts(this, this.normalization, this.augment), ...this.info };
  }
}
