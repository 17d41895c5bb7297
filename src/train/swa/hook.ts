// SWA as a training hook: at the end of each epoch from swa.start_epoch the weights are folded
// into the average; at the end of the last epoch the average gets its BatchNorm statistics
// recomputed over the training set and is evaluated on the test split. Put it before the
// checkpoint hook, so that each checkpoint holds the average of the epochs it has finished.
import * as tf from '@tensorflow/tfjs';
import type { SwaConfig } from '../../config/swa.js';
import { RandomStream } from '../../random.js';
import type { TrainingHook } from '../hooks.js';
import { evaluate } from '../step.js';
import type { TrainingParts } from '../trainer.js';
import type { WeightAverage } from './average.js';
import { recomputeBatchNorm } from './batchNorm.js';

/** The SWA state of a run's parts: its settings and the average kept beside the model. */
export interface SwaParts {
  readonly config: SwaConfig;
  readonly average: WeightAverage;
}

export interface SwaHookOptions {
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export function swaHook(parts: TrainingParts & { readonly swa: SwaParts }, options: SwaHookOptions = {}): TrainingHook {
  const { config, average } = parts.swa;
  let line: string | undefined;
  return {
    async onEpochEnd(metrics) {
      if (metrics.epoch < config.start_epoch) return;
      average.update(parts.model.params);
      if (metrics.epoch === parts.epochs) line = await finishAverage(parts, options.signal);
    },
    // Said at the end: the progress hooks, which come after the checkpoint, print the last epoch's line first.
    onTrainEnd(outcome) {
      if (outcome.status === 'completed' && line) options.log?.(line);
    },
  };
}

/**
 * Swaps the average into the model, recomputes its BatchNorm statistics and evaluates it, then
 * swaps the trained weights and statistics back (the run's last checkpoint keeps both). Returns
 * the line that reports it.
 */
export async function finishAverage(parts: TrainingParts & { readonly swa: SwaParts }, signal?: AbortSignal): Promise<string | undefined> {
  const { model, dataset, batchSize } = parts;
  const { average } = parts.swa;
  const weights = average.weights;
  if (weights === null) return undefined;
  const trained = { params: model.params.map((p) => tf.clone(p)), buffers: model.buffers.map((b) => tf.clone(b)) };
  try {
    model.params.forEach((p, i) => p.assign(weights[i]!));
    // Shuffled and augmented as a training epoch is (torch's update_bn is given the train loader), from a stream of its own.
    const rng = RandomStream.derive(parts.seed, 'swa-batchnorm');
    const batches = await recomputeBatchNorm(model, dataset.batches('train', { batchSize, rng }), dataset.inputShape, signal);
    const input = { ...parts, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
    const test = await evaluate(input, dataset.batches('test', { batchSize }), signal, "while evaluating the SWA average");
    average.finish(model.buffers, { test_loss: test.loss, test_acc: test.accuracy, ...(dataset.numClasses > 10 ? { test_top5: test.top5 } : {}) });
    const bn = model.buffers.length > 0 ? `BatchNorm recomputed over ${batches} batches, ` : '';
    return `swa: average of ${average.averaged} epochs, ${bn}test acc ${(100 * test.accuracy).toFixed(2)}%, test loss ${test.loss.toFixed(4)}`;
  } finally {
    model.params.forEach((p, i) => p.assign(trained.params[i]!));
    model.buffers.forEach((b, i) => b.assign(trained.buffers[i]!));
    tf.dispose([...trained.params, ...trained.buffers]);
  }
}

/** summary.json's SWA figures (null where the run stopped before its end). */
export function swaSummary(average: WeightAverage): Record<string, number | null> {
  const result = average.result;
  return {
    swa_test_acc: result?.test_acc ?? null,
    swa_test_loss: result?.test_loss ?? null,
    ...(result?.test_top5 === undefined ? {} : { swa_test_top5: result.test_top5 }),
    swa_epochs_averaged: average.averaged,
  };
}
