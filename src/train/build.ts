// Builds the parts of a run from a validated config: each registry's entry creates its part.
// The only place config names become objects.
import type { RunConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { datasets } from '../datasets/index.js';
import type { Dataset } from '../datasets/types.js';
import { models } from '../models/index.js';
import { isWeightParam } from '../models/nn.js';
import { disposeModel } from '../models/types.js';
import { optimizers } from '../optimizers/index.js';
import { RandomStream } from '../random.js';
import { scheduleFor } from '../schedules/index.js';
import { LossDeformation } from '../vdms/deformation.js';
import { vdms } from '../vdms/index.js';
import { WeightAverage } from './swa/average.js';
import { withSwa } from './swa/schedule.js';
import type { TrainingParts } from './trainer.js';

export async function buildDataset(config: RunConfig, signal?: AbortSignal): Promise<Dataset> {
  const { dataset } = config;
  return datasets.get(dataset.name).create(dataset.params, { seed: config.seed, subset: dataset.subset, augment: dataset.augment, signal });
}

/** A model that cannot take the data set's inputs is a config problem: say where. */
function locateModelError(config: RunConfig, error: unknown): never {
  if (error instanceof ConfigError && error.location === undefined) {
    throw new ConfigError(error.problem, { file: config.source, path: 'model' });
  }
  // A layer of 6e5 x 6e4 weights cannot be allocated: V8 says so with a RangeError (or tfjs with
  // an allocation error) before any memory is taken. It is the config's size, not a vdm bug.
  if (error instanceof RangeError || (error instanceof Error && /allocation failed|out of memory/i.test(error.message))) {
    throw new ConfigError(`the model is too large to allocate (${error.message.split('\n')[0]}); make its layers smaller`, { file: config.source, path: 'model' });
  }
  throw error;
}

/** Model, optimizer, schedule and deformation for a data set (tensors: call after the backend is set). */
export function buildTrainingParts(config: RunConfig, dataset: Dataset): TrainingParts {
  const run = {
    epochs: config.epochs,
    stepsPerEpoch: Math.ceil(dataset.size('train') / config.dataset.batch_size), // as the trainer batches
    seed: config.seed,
  };
  // What reads other runs' records (a control's source) comes first: a missing one fails before any tensor exists.
  const schedule = withSwa(scheduleFor(config.schedule, { ...run, baseLr: config.optimizer.lr }), config.swa);
  const entry = vdms.get(config.vdm.name);
  const deformation = new LossDeformation({ entry, params: config.vdm.params, options: config.vdm.options }, entry.stepSlopes?.(config.vdm.params, run) ?? null);
  let model;
  try {
    model = models.get(config.model.name).create(config.model.params, {
      inputShape: dataset.inputShape,
      numClasses: dataset.numClasses,
      rng: RandomStream.derive(config.seed, 'init'),
    });
  } catch (error) {
    locateModelError(config, error);
  }
  const optimizer = optimizers.get(config.optimizer.name).create(config.optimizer.params, {
    lr: config.optimizer.lr,
    weight_decay: config.optimizer.weight_decay,
    weightParams: model.params.map(isWeightParam),
  });
  const swa = config.swa && { config: config.swa, average: new WeightAverage() };
  return { model, dataset, optimizer, schedule, deformation, seed: config.seed, epochs: config.epochs, batchSize: config.dataset.batch_size, ...(swa ? { swa } : {}) };
}

/** Frees what buildTrainingParts allocated (the data set is closed by whoever built it). */
export function disposeTrainingParts(parts: TrainingParts): void {
  disposeModel(parts.model);
  parts.optimizer.dispose();
  parts.swa?.average.dispose();
}
