// The contract between data sets and the trainer: host-side batches of NHWC float images.
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';
import type { RandomStream } from '../random.js';

export type Split = 'train' | 'test';

/** One batch, ready to become tensors: images NHWC, normalised; integer class labels. */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly size: number;
}

export interface BatchOptions {
  readonly batchSize: number;
  /** Drives the shuffle and augmentation of a training epoch; absent: fixed order, no augmentation. */
  readonly rng?: RandomStream;
  /**
   * Batches to leave out at the start (a run resumed mid-epoch). Their random draws are still
   * taken from `rng`, so the batches after them are exactly those of an uninterrupted epoch.
   */
  readonly skip?: number;
}

export interface Dataset {
  readonly name: string;
  /** [height, width, channels] of one input. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  size(split: Split): number;
  /** The batches of one epoch over a split, in order; the last may be smaller. */
  batches(split: Split, options: BatchOptions): AsyncIterableIterator<Batch>;
  /** Facts for `vdm data info` and run.json (source path, mean/std, skipped files, ...). */
  describe(): Record<string, unknown>;
  /** Releases workers or files, if the data set holds any. */
  close?(): Promise<void>;
}

export type AugmentName = 'none' | 'standard' | 'flip';

/** Settings every data set takes, whatever its source. */
export interface CommonDatasetOptions {
  readonly seed: number;
  readonly subset?: { readonly train?: number; readonly test?: number };
  readonly augment: AugmentName;
  /** Aborted by Ctrl-C/SIGTERM: loading stops at the next read with an InterruptedError. */
  readonly signal?: AbortSignal;
}

export interface DatasetEntry<P = any> extends NamedEntry {
  /** Schema of the entry's own keys under `dataset:` (besides name, batch_size, subset, augment). */
  readonly params: z.ZodType<P>;
  create(params: P, common: CommonDatasetOptions): Promise<Dataset>;
  /**
   * What the data set holds, known without reading it (fixed public data sets): lets
   * `vdm run --dry-run` time a step on stand-in data of the same shape before it is downloaded.
   */
  nominal?(params: P): NominalShape;
}

export interface NominalShape {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly trainSize: number;
  readonly testSize: number;
}
