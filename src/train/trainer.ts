// The training loop: epochs of seeded batches, one deformed optimisation step per batch, an
// evaluation per epoch, and hooks for everything else.
import type { Dataset } from '../datasets/types.js';
import { InterruptedError, DivergedError } from '../errors.js';
import type { Model } from '../models/types.js';
import type { Optimizer } from '../optimizers/types.js';
import { RandomStream } from '../random.js';
import type { LearningRateSchedule } from '../schedules/types.js';
import type { LossDeformation } from '../vdms/deformation.js';
import type { EpochMetrics, TrainingHook, TrainingOutcome, TrainingPlan } from './hooks.js';
import { evaluate, trainStep, type StepInput } from './step.js';

export interface TrainingParts {
  readonly model: Model;
  readonly dataset: Dataset;
  readonly optimizer: Optimizer;
  readonly schedule: LearningRateSchedule;
  readonly deformation: LossDeformation;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
}

export interface TrainOptions {
  readonly hooks?: readonly TrainingHook[];
  /** Aborting stops the run after the current step with status 'interrupted'. */
  readonly signal?: AbortSignal;
  /** Epochs already trained (resume): training goes on after the last; its state must be restored. */
  readonly completed?: readonly EpochMetrics[];
}

function statusOf(error: unknown): TrainingOutcome['status'] {
  if (error instanceof DivergedError) return 'diverged';
  if (error instanceof InterruptedError) return 'interrupted';
  return 'failed';
}

async function callHooks<K extends keyof TrainingHook>(hooks: readonly TrainingHook[], name: K, ...args: Parameters<NonNullable<TrainingHook[K]>>): Promise<void> {
  for (const hook of hooks) {
    const fn = hook[name] as ((...a: typeof args) => void | Promise<void>) | undefined;
    if (fn) await fn.apply(hook, args);
  }
}

export async function train(parts: TrainingParts, options: TrainOptions = {}): Promise<EpochMetrics[]> {
  const hooks = options.hooks ?? [];
  const { dataset, batchSize, epochs } = parts;
  const input: StepInput = { ...parts, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
  const trainSize = dataset.size('train');
  const batchesPerEpoch = Math.ceil(trainSize / batchSize);
  const history: EpochMetrics[] = [...(options.completed ?? [])];
  const plan: TrainingPlan = { epochs, firstEpoch: history.length + 1, batchesPerEpoch, trainSize, testSize: dataset.size('test') };
  try {
    await callHooks(hooks, 'onTrainStart', plan);
    for (let epoch = plan.firstEpoch; epoch <= epochs; epoch++) {
      await callHooks(hooks, 'onEpochStart', epoch);
      const metrics = await runEpoch(parts, input, epoch, plan, hooks, options.signal);
      history.push(metrics);
      await callHooks(hooks, 'onEpochEnd', metrics);
    }
  } catch (error) {
    await callHooks(hooks, 'onTrainEnd', { status: statusOf(error), history, error });
    throw error;
  }
  await callHooks(hooks, 'onTrainEnd', { status: 'completed', history });
  return history;
}

async function runEpoch(
  parts: TrainingParts,
  input: StepInput,
  epoch: number,
  plan: TrainingPlan,
  hooks: readonly TrainingHook[],
  signal: AbortSignal | undefined,
): Promise<EpochMetrics> {
  const started = performance.now();
  // The epoch's order and augmentation depend only on (seed, epoch): resuming at an epoch
  // boundary replays exactly the batches an uninterrupted run would have seen.
  const rng = RandomStream.derive(parts.seed, 'data', epoch);
  let lossSum = 0, correct = 0, deformedSum = 0, scaleSum = 0, images = 0, batch = 0, lr = 0;
  for await (const data of parts.dataset.batches('train', { batchSize: parts.batchSize, rng })) {
    if (signal?.aborted) throw new InterruptedError(`interrupted in epoch ${epoch}, batch ${batch + 1}`);
    const globalStep = (epoch - 1) * plan.batchesPerEpoch + batch;
    lr = parts.schedule(globalStep / plan.batchesPerEpoch);
    const result = await trainStep(input, data, lr, epoch);
    batch++;
    images += data.size;
    lossSum += result.loss * data.size;
    correct += result.correct;
    deformedSum += result.deformedLoss;
    scaleSum += result.gradScale;
    const seconds = (performance.now() - started) / 1000;
    await callHooks(hooks, 'onStepEnd', {
      epoch, batch, batchesPerEpoch: plan.batchesPerEpoch, globalStep, lr,
      loss: result.loss, accuracy: result.correct / data.size,
      deformedLoss: result.deformedLoss, gradScale: result.gradScale,
      images, imagesPerSecond: images / seconds,
    });
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const test = await evaluate(input, parts.dataset.batches('test', { batchSize: parts.batchSize }));
  return {
    epoch,
    lr,
    train_loss: lossSum / images,
    train_acc: correct / images,
    test_loss: test.loss,
    test_acc: test.accuracy,
    test_top5: parts.dataset.numClasses > 10 ? test.top5 : undefined,
    deformed_loss: deformedSum / batch,
    grad_scale: scaleSum / batch,
    epoch_seconds: (performance.now() - started) / 1000,
    images_per_s: images / trainSeconds,
  };
}
