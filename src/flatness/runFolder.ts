// Flatness of one finished run: rebuild its model from config.yaml, load the final checkpoint
// (weights and BatchNorm statistics), measure, and write flatness.json — the only file touched.
import { join } from 'node:path';
import { selectBackend, type BackendChoice, type BackendReport } from '../backend/resolve.js';
import { loadRunConfig, type RunConfig } from '../config/index.js';
import type { Dataset } from '../datasets/types.js';
import { disposeModel } from '../models/types.js';
import { readJsonIfPresent, writeJsonAtomic } from '../run/files.js';
import { buildDataset, buildTrainingParts } from '../train/build.js';
import { hasCheckpoint, restoreCheckpoint } from '../train/checkpoint.js';
import { measureFlatness, type FlatnessFigures, type FlatnessOptions } from './measure.js';

export const FLATNESS_FILE = 'flatness.json';

/** Why a run folder cannot be measured, or null when it can (completed, with a checkpoint). */
export function unusableReason(dir: string): string | null {
  const status = readJsonIfPresent<{ status?: string }>(join(dir, 'run.json'))?.status ?? 'unreadable run.json';
  if (status !== 'completed') return `status ${status}`;
  if (!hasCheckpoint(dir)) return 'no checkpoint/ (trained before checkpoints were written?)';
  return null;
}

export interface RunFlatnessOptions extends Omit<FlatnessOptions, 'batchSize'> {
  /** Default: the run's dataset.batch_size. */
  readonly batchSize?: number;
  /** Default: the run's own backend setting. */
  readonly backend?: BackendChoice;
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
async function flatnessData(config: RunConfig, samples: number, seed: number): Promise<Dataset> {
  const full = await buildDataset(config);
  if (config.dataset.subset?.train !== undefined || full.size('train') <= samples) return full;
  await full.close?.();
  const subset = { ...config.dataset.subset, train: samples };
  return buildDataset({ ...config, seed, dataset: { ...config.dataset, subset, augment: 'none' } });
}

export async function measureRunFolder(dir: string, options: RunFlatnessOptions): Promise<RunFlatness> {
  const config = loadRunConfig(join(dir, 'config.yaml'));
  const dataset = await flatnessData(config, options.samples, options.seed);
  try {
    const backend = await selectBackend(options.backend ?? config.backend);
    const parts = buildTrainingParts(config, dataset);
    try {
      restoreCheckpoint(dir, parts);
      const figures = await measureFlatness(parts.model, dataset, { ...options, batchSize: options.batchSize ?? config.dataset.batch_size });
      const file = join(dir, FLATNESS_FILE);
      // Figures at the top level (compare reports every top-level number); how they were
      // measured under `settings`, so the comparison table shows measurements only.
      const { samples, iterations_run, probes, seed, hvp_relative_step, method, loss, ...measured } = figures;
      writeJsonAtomic(file, { ...measured, settings: { samples, iterations_run, probes, seed, hvp_relative_step, method, loss } });
      return { figures, backend, file };
    } finally {
      disposeModel(parts.model);
      parts.optimizer.dispose();
    }
  } finally {
    await dataset.close?.();
  }
}
