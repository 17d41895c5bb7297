// An image-folder data set (ImageNet and the like) decoded on the fly by worker threads, with
// a bounded prefetch of batches; unreadable images are skipped and counted, never fatal.
import { DataError } from '../../errors.js';
import { balancedSubset } from '../subset.js';
import { commonFacts } from '../describe.js';
import { prefetched } from '../prefetch.js';
import type { Normalization } from '../augment.js';
import type { AugmentName, Batch, BatchOptions, CommonDatasetOptions, Dataset, Split } from '../types.js';
import type { RandomStream } from '../../random.js';
import type { DecodeResult, DecodeTask, TransformMode } from './decode.js';
import { DecodePool } from './pool.js';
import type { FolderIndex, FolderSplit } from './scan.js';

/** The ImageNet training set's per-channel mean/std (0..255 scale), as every ImageNet recipe uses. */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406].map((m) => m * 255),
  std: [0.229, 0.224, 0.225].map((s) => s * 255),
};

export interface ImageFolderOptions {
  readonly name: string;
  readonly root: string;
  readonly imageSize: number;
  readonly workers: number;
  /** Batches prepared ahead of the one being consumed. */
  readonly prefetch: number;
  /** Called once per unreadable file, the first time it is met. */
  readonly warn?: (message: string) => void;
}

const SKIPPED_EXAMPLES = 5;

function pick(split: FolderSplit, indices: Int32Array): FolderSplit {
  return { dir: split.dir, files: Array.from(indices, (i) => split.files[i]), labels: Int32Array.from(indices, (i) => split.labels[i]) };
}

export class ImageFolderDataset implements Dataset {
  readonly name: string;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly normalization = IMAGENET_NORMALIZATION;
  private readonly splits: Record<Split, FolderSplit>;
  private readonly augment: AugmentName;
  private readonly pool: DecodePool;
  private readonly skipped = new Map<string, string>();

  constructor(
    index: FolderIndex,
    private readonly options: ImageFolderOptions,
    common: CommonDatasetOptions,
  ) {
    this.name = options.name;
    this.inputShape = [options.imageSize, options.imageSize, 3];
    this.classNames = index.classNames;
    this.numClasses = index.classNames.length;
    this.augment = common.augment;
    this.splits = { train: index.train, test: index.test };
    for (const split of ['train', 'test'] as const) {
      const count = common.subset?.[split];
      if (count !== undefined) {
        const picked = balancedSubset(this.splits[split].labels, this.numClasses, count, common.seed, `${this.name} ${split}`);
        this.splits[split] = pick(this.splits[split], picked);
      }
    }
    this.pool = new DecodePool(options.workers);
  }

  size(split: Split): number {
    return this.splits[split].files.length;
  }

  /** Training: random-resized-crop + flip ('standard'), or resize + center crop with ('flip') or without a flip. */
  private transformMode(split: Split, rng: RandomStream | undefined): TransformMode {
    if (split === 'test' || rng === undefined || this.augment === 'none') return 'eval';
    return this.augment === 'standard' ? 'train' : 'eval-flip';
  }

  async *batches(split: Split, options: BatchOptions): AsyncIterableIterator<Batch> {
    const data = this.splits[split];
    const order = options.rng ? options.rng.permutation(data.files.length) : null;
    const mode = this.transformMode(split, options.rng);
    const self = this;
    function* jobs(): Generator<() => Promise<Batch>> {
      for (let start = 0, batch = 0; start < data.files.length; start += options.batchSize, batch++) {
        const end = Math.min(start + options.batchSize, data.files.length);
        if (batch < (options.skip ?? 0)) {
          if (mode !== 'eval') for (let k = start; k < end; k++) streamState(options.rng!); // keep the stream aligned
          continue;
        }
        // Each image's random stream is drawn here, in order, so results do not depend on
        // which worker finishes first.
        const tasks: { task: DecodeTask; label: number }[] = [];
        for (let k = start; k < end; k++) {
          const index = order ? order[k] : k;
          const rngState = mode === 'eval' ? undefined : streamState(options.rng!);
          tasks.push({ task: self.decodeTask(data.files[index], mode, rngState), label: data.labels[index] });
        }
        yield () => self.assemble(tasks);
      }
    }
    let readable = 0;
    for await (const batch of prefetched(jobs(), this.options.prefetch)) {
      readable += batch.size;
      if (batch.size > 0) yield batch; // every image of it was unreadable
    }
    // Skipping a few bad files is fine; a split with none readable would train or evaluate on
    // nothing and report NaN metrics as if it were a result.
    // (A pass that skipped every batch, resuming at an epoch's end, read nothing and judges nothing.)
    const skippedAll = (options.skip ?? 0) * options.batchSize >= data.files.length;
    if (readable === 0 && data.files.length > 0 && !skippedAll) throw this.nothingReadable(data);
  }

  private nothingReadable(data: FolderSplit): DataError {
    const [example, why] = [...this.skipped].find(([path]) => data.files.includes(path)) ?? [data.files[0], 'unreadable'];
    return new DataError(
      `${this.name}: none of the ${data.files.length} images in ${data.dir} could be read (e.g. ${example}: ${why}); check the folder`,
    );
  }

  private decodeTask(path: string, mode: TransformMode, rngState: DecodeTask['rngState']): DecodeTask {
    const { mean, std } = this.normalization;
    return { path, size: this.options.imageSize, mode, rngState, mean, std };
  }

  private async assemble(tasks: { task: DecodeTask; label: number }[]): Promise<Batch> {
    const results: DecodeResult[] = await Promise.all(tasks.map(({ task }) => this.pool.run(task)));
    const imageFloats = this.inputShape[0] * this.inputShape[1] * 3;
    const good = results.flatMap((result, i) => (result.ok ? [{ pixels: result.pixels, label: tasks[i].label }] : []));
    results.forEach((result, i) => {
      if (!result.ok) this.recordSkip(tasks[i].task.path, result.error);
    });
    const x = new Float32Array(good.length * imageFloats);
    const y = new Int32Array(good.length);
    good.forEach(({ pixels, label }, k) => {
      x.set(pixels, k * imageFloats);
      y[k] = label;
    });
    return { x, y, size: good.length };
  }

  private recordSkip(path: string, error: string): void {
    if (this.skipped.has(path)) return;
    this.skipped.set(path, error);
    (this.options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(`skipping unreadable image ${path}: ${error}`);
  }

  /** Stops the decode workers; the data set can still be used afterwards (they restart). */
  async close(): Promise<void> {
    await this.pool.close();
  }

  describe(): Record<string, unknown> {
    return {
      ...commonFacts(this, this.normalization, this.augment),
      source: this.options.root,
      image_size: this.options.imageSize,
      workers: this.options.workers,
      skipped_files: this.skipped.size,
      skipped_examples: [...this.skipped.keys()].slice(0, SKIPPED_EXAMPLES),
    };
  }
}

/** A fresh per-image stream state taken from the epoch's stream. */
function streamState(rng: RandomStream): [number, number, number, number] {
  return [rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32() | 1];
}
