// Flatness of one finished run: rebuild its model from config.yaml, load the final checkpoint
// (weights and BatchNorm statistics), measure, and write flatness.json — the only file touched.
import { join } from 'node:path';
import { selectBackend, type BackendChoice, type BackendReport } from '../backend/resolve.js';
import { loadRunConfig, type RunConfig } from '../config/index.js';
import type { Dataset } from '../datasets/types.js';
import { UsageError } from '../errors.js';
import { readJsonIfPresent } from '../files/boundedRead.js';
import { writeJsonAtomic } from '../files/safeWrite.js';
import { buildDataset, buildTrainingParts, disposeTrainingParts } from '../train/build.js';
import type { TrainingParts } from '../train/trainer.js';
import { hasCheckpoint, restoreCheckpoint } from '../train/checkpoint.js';
import { flatnessFileContents, measureFlatness, type FlatnessFigures, type FlatnessOptions } from './measure.js';

export const FLATNESS_FILE = 'flatness.json';
/** The SWA average's figures have their own file: compare reads flatness.json, the trained weights'. */
export const SWA_FLATNESS_FILE = 'flatness-swa.json';

/** What a measuring tool measures: the run's last weights or its SWA average (`--which`). */
export type MeasuredWeights = 'last' | 'swa';
export const MEASURED_WEIGHTS: readonly MeasuredWeights[] = ['last', 'swa'];

/** The --which flag of flatness and landscape. */
export function parseMeasuredWeights(which: string | undefined): MeasuredWeights {
  if (which === undefined || (MEASURED_WEIGHTS as readonly string[]).includes(which)) return (which ?? 'last') as MeasuredWeights;
  throw new UsageError(`--which '${which}' is not a choice; valid: ${MEASURED_WEIGHTS.join(', ')}`);
}

/** Why a run folder cannot be measured, or null when it can (completed, with a checkpoint, and a finished average for 'swa'). */
export function unusableReason(dir: string, which: MeasuredWeights = 'last'): string | null {
  const status = readJsonIfPresent<{ status?: string }>(join(dir, 'run.json'))?.status ?? 'unreadable run.json';
  if (status !== 'completed') return `status ${status}`;
  if (!hasCheckpoint(dir)) return 'no checkpoint/ (trained before checkpoints were written?)';
  if (which === 'swa' && typeof readJsonIfPresent<{ swa_test_acc?: unknown }>(join(dir, 'summary.json'))?.swa_test_acc !== 'number') {
    return 'no SWA average (its config has no swa: block)';
  }
  return null;
}

export interface RunFlatnessOptions extends Omit<FlatnessOptions, 'batchSize'> {
  /** Default: the run's dataset.batch_size. */
  readonly batchSize?: number;
  /** Default: the run's own backend setting. */
  readonly backend?: BackendChoice;
  /** Default 'last'; 'swa' measures the average and writes flatness-swa.json. */
  readonly which?: MeasuredWeights;
}

export interface RunFlatness {
  readonly figures: FlatnessFigures;
  readonly backend: BackendReport;
  readonly file: string;
}

/**
 * The run's data set, narrowed by the data set itself to `samples` seeded, class-balanced training
 * examples when the run trained on the whole split: an image folder then decodes only those,
 * instead of the whole split. (A run that trained on a subset is measured within that subset.)
 */
export async function flatnessData(config: RunConfig, samples: number, seed: number): Promise<Dataset> {
  const full = await buildDataset(config);
  if (config.dataset.subset?.train !== undefined || full.size('train') <= samples) return full;
  await full.close?.();
  const subset = { ...config.dataset.subset, train: samples };
  return buildDataset({ ...config, seed, dataset: { ...config.dataset, subset, augment: 'none' } });
}

/** A finished run restored for measuring: its config, data (narrowed as above) and model at the final checkpoint. */
export interface OpenedRun {
  readonly dir: string;
  readonly config: RunConfig;
  readonly dataset: Dataset;
  readonly parts: TrainingParts;
  readonly backend: BackendReport;
  /** Frees the model and optimizer and closes the data set. */
  close(): Promise<void>;
}

/**
 * The one place a measuring tool (flatness, landscape) restores a run: rebuild from config.yaml,
 * then restoreCheckpoint (weights and BatchNorm statistics: the last epoch's, or the SWA average's).
 */
export async function openRun(dir: string, options: { samples: number; seed: number; backend?: BackendChoice; which?: MeasuredWeights }): Promise<OpenedRun> {
  const config = loadRunConfig(join(dir, 'config.yaml'));
  const dataset = await flatnessData(config, options.samples, options.seed);
  let parts: TrainingParts | undefined;
  try {
    const backend = await selectBackend(options.backend ?? config.backend);
    parts = buildTrainingParts(config, dataset);
    restoreCheckpoint(dir, parts, { which: options.which ?? 'last' });
    const opened = parts;
    return {
      dir,
      config,
      dataset,
      parts,
      backend,
      async close() {
        disposeTrainingParts(opened);
        await dataset.close?.();
      },
    };
  } catch (error) {
    if (parts) {
      disposeTrainingParts(parts);
    }
    await dataset.close?.();
    throw error;
  }
}

export async function measureRunFolder(dir: string, options: RunFlatnessOptions): Promise<RunFlatness> {
  const run = await openRun(dir, options);
  try {
    const figures = await measureFlatness(run.parts.model, run.dataset, { ...options, batchSize: options.batchSize ?? run.config.dataset.batch_size });
    const file = join(dir, options.which === 'swa' ? SWA_FLATNESS_FILE : FLATNESS_FILE);
    writeJsonAtomic(file, flatnessFileContents(figures));
    return { figures, backend: run.backend, file };
  } finally {
    await run.close();
  }
}
