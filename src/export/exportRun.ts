// Exports a run folder's final weights for PyTorch: rebuild the model from config.yaml, restore the
// checkpoint through the trainer's own restore (never by reading its files here), rename, write.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { selectBackend } from '../backend/resolve.js';
import { loadRunConfig } from '../config/index.js';
import { DataError, UsageError } from '../errors.js';
import { VDM_VERSION } from '../run/provenance.js';
import { buildDataset, buildTrainingParts, disposeTrainingParts } from '../train/build.js';
import { hasCheckpoint, restoreCheckpoint, type CheckpointChoice } from '../train/checkpoint.js';
import { writeSafetensors } from './safetensors.js';
import { torchNamingOf, torchStateDict } from './torchStateDict.js';

export const EXPORT_FORMATS = ['safetensors'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportResult {
  readonly file: string;
  readonly tensors: number;
  readonly values: number;
  readonly model: string;
  /** Epochs the exported weights were trained for. */
  readonly epochs: number;
  /** Which PyTorch definition the names follow. */
  readonly definition: string;
  /** With which 'swa': the epochs the average holds. */
  readonly swaEpochsAveraged?: number;
}

/** `out` defaults to <run>/model.safetensors (model-swa.safetensors for the SWA average); `which` to the last checkpoint. */
export async function exportRun(runDir: string, options: { format: ExportFormat; out?: string; which?: CheckpointChoice }): Promise<ExportResult> {
  const configFile = join(runDir, 'config.yaml');
  if (!existsSync(configFile)) throw new UsageError(`${runDir}: not a run folder (no config.yaml)`);
  if (!hasCheckpoint(runDir)) throw new DataError(`${runDir}: no checkpoint to export (the run has not finished an epoch)`);
  const config = loadRunConfig(configFile);
  const naming = torchNamingOf(config.model.name); // refuses an unexportable model before any data loads
  const file = resolve(options.out ?? join(runDir, `${options.which === 'swa' ? 'model-swa' : 'model'}.${options.format}`));
  if (!existsSync(dirname(file))) throw new UsageError(`--out ${options.out}: folder ${dirname(file)} does not exist`);
  // Export only copies numbers: the cpu backend does it exactly and starts at once.
  await selectBackend('cpu');
  const dataset = await buildDataset(config);
  try {
    const parts = buildTrainingParts(config, dataset);
    try {
      const { history } = restoreCheckpoint(runDir, parts, { which: options.which });
      const tensors = torchStateDict(config.model.name, parts.model, {
        inputShape: dataset.inputShape,
        batchesTracked: parts.optimizer.getState().step,
      });
      const facts = dataset.describe();
      const [h, w, c] = dataset.inputShape;
      writeSafetensors(file, tensors, {
        format: 'pt',
        vdm_version: VDM_VERSION,
        run: basename(resolve(runDir)),
        model: config.model.name,
        epochs: String(history.length),
        ...(parts.swa && options.which === 'swa' ? { swa_epochs_averaged: String(parts.swa.average.averaged) } : {}),
        dataset: config.dataset.name,
        num_classes: String(dataset.numClasses),
        // PyTorch takes NCHW; the normalisation is the one the run trained with.
        input_shape_nchw: JSON.stringify([c, h, w]),
        normalization: JSON.stringify({ mean: facts.mean, std: facts.std }),
      });
      return {
        file,
        tensors: tensors.length,
        values: tensors.reduce((n, t) => n + t.data.length, 0),
        model: config.model.name,
        epochs: history.length,
        definition: naming.definition,
        ...(parts.swa && options.which === 'swa' ? { swaEpochsAveraged: parts.swa.average.averaged } : {}),
      };
    } finally {
      disposeTrainingParts(parts);
    }
  } finally {
    await dataset.close?.();
  }
}
