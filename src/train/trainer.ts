// The training loop: epochs of seeded batches, one deformed optimisation step per batch, an
// evaluation per epoch, and hooks for everything else.
import type { Dataset } from '../datasets/types.js';
import { explainWasmMemoryFailure } from '../backend/wasmMemory.js';
import { InterruptedError, DivergedError } from '../errors.js';
import type { Model } from '../models/types.js';
import type { Optimizer } from '../optimizers/types.js';
import { RandomStream } from '../random.js';
import type { LearningRateSchedule } from '../schedules/types.js';
import type { LossDeformation } from '../vdms/deformation.js';
import type { EpochMetrics, EpochProgress, TrainingHook, TrainingOutcome, TrainingPlan, TrainingPosition } from './hooks.js';
import { evaluate, trainStep, yieldToEventLoop, type StepInput } from './step.js';
import type { SwaParts } from './swa/hook.js';

export interface TrainingParts {
  readonly model: Model;
  readonly dataset: Dataset;
  readonly optimizer: Optimizer;
  readonly schedule: LearningRateSchedule;
  readonly deformation: LossDeformation;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Stochastic weight averaging: the average its hook (src/train/swa/hook.ts) keeps. */
  readonly swa?: SwaParts;
}

export interface TrainOptions {
  readonly hooks?: readonly TrainingHook[];
  /** Aborting stops the run after the current step with status 'interrupted'. */
  readonly signal?: AbortSignal;
  /** Where a resumed run stands (its state must be restored): training goes on from there. */
  readonly resume?: TrainingPosition;
}

type Progress = { -readonly [K in keyof EpochProgress]: EpochProgress[K] };

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

const freshProgress = (epoch: number): Progress => ({ epoch, batch: 0, lossSum: 0, correct: 0, deformedSum: 0, scaleSum: 0, images: 0, seconds: 0, lr: 0 });

export async function train(parts: TrainingParts, options: TrainOptions = {}): Promise<EpochMetrics[]> {
  const hooks = options.hooks ?? [];
  const { dataset, batchSize, epochs } = parts;
  const input: StepInput = { ...parts, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
  const trainSize = dataset.size('train');
  const batchesPerEpoch = Math.ceil(trainSize / batchSize);
  const history: EpochMetrics[] = [...(options.resume?.history ?? [])];
  // The epoch in flight; it outlives runEpoch so that an interrupt can save it.
  let progress: Progress | undefined = options.resume?.partial && { ...options.resume.partial };
  const firstStep = history.length * batchesPerEpoch + (progress?.batch ?? 0);
  const plan: TrainingPlan = { epochs, firstEpoch: history.length + 1, firstStep, batchesPerEpoch, trainSize, testSize: dataset.size('test') };
  const context: EpochContext = { parts, input, plan, hooks, signal: options.signal, history };
  try {
    await callHooks(hooks, 'onTrainStart', plan);
    for (let epoch = plan.firstEpoch; epoch <= epochs; epoch++) {
      if (options.signal?.aborted) throw new InterruptedError(`interrupted in epoch ${epoch}, batch ${progress?.batch ?? 0} of ${batchesPerEpoch} (before its next step)`);
      await callHooks(hooks, 'onEpochStart', epoch);
      progress ??= freshProgress(epoch);
      const metrics = await runEpoch(context, progress);
      progress = undefined;
      history.push(metrics);
      await callHooks(hooks, 'onEpochEnd', metrics);
    }
  } catch (error) {
    let reported = explainWasmMemoryFailure(error, `${parts.model.name} at batch ${batchSize}`);
    if (error instanceof InterruptedError) {
      try {
        await callHooks(hooks, 'onInterrupt', { history: [...history], partial: progress && { ...progress } });
      } catch (saveError) {
        reported = saveError; // the position could not be saved: that, not the interrupt, is the news
      }
    }
    await callHooks(hooks, 'onTrainEnd', { status: statusOf(reported), history, error: reported });
    throw reported;
  }
  await callHooks(hooks, 'onTrainEnd', { status: 'completed', history });
  return history;
}

interface EpochContext {
  readonly parts: TrainingParts;
  readonly input: StepInput;
  readonly plan: TrainingPlan;
  readonly hooks: readonly TrainingHook[];
  readonly signal: AbortSignal | undefined;
  readonly history: readonly EpochMetrics[];
}

/** Trains the rest of `p`'s epoch (all of it unless resumed mid-epoch), updating `p` after each step. */
async function runEpoch({ parts, input, plan, hooks, signal, history }: EpochContext, p: Progress): Promise<EpochMetrics> {
  const { epoch } = p;
  const started = performance.now() - p.seconds * 1000;
  const earlierSeconds = history.reduce((t, m) => t + m.epoch_seconds, 0);
  // The epoch's order and augmentation depend only on (seed, epoch): a resumed epoch skips the
  // batches already taken (their random draws still consumed) and sees exactly the rest.
  const rng = RandomStream.derive(parts.seed, 'data', epoch);
  for await (const data of parts.dataset.batches('train', { batchSize: parts.batchSize, rng, skip: p.batch })) {
    const globalStep = (epoch - 1) * plan.batchesPerEpoch + p.batch;
    const lr = parts.schedule(globalStep / plan.batchesPerEpoch);
    const result = await trainStep(input, data, lr, epoch, globalStep);
    p.batch++;
    p.lr = lr;
    p.images += data.size;
    p.lossSum += result.loss * data.size;
    p.correct += result.correct;
    p.deformedSum += result.deformedLoss;
    p.scaleSum += result.gradScale;
    p.seconds = (performance.now() - started) / 1000;
    await callHooks(hooks, 'onStepEnd', {
      epoch, batch: p.batch, batchesPerEpoch: plan.batchesPerEpoch, globalStep, lr,
      loss: result.loss, accuracy: result.correct / data.size,
      deformedLoss: result.deformedLoss, gradScale: result.gradScale,
      images: p.images, imagesPerSecond: p.images / p.seconds, runSeconds: earlierSeconds + p.seconds,
    });
    await yieldToEventLoop();
    if (signal?.aborted) throw new InterruptedError(`interrupted in epoch ${epoch}, batch ${p.batch} of ${plan.batchesPerEpoch} (stopped after that step)`);
  }
  const trainSeconds = p.seconds;
  // An interrupt during evaluation stops it too: the saved position (every step taken) reruns it.
  const test = await evaluate(input, parts.dataset.batches('test', { batchSize: parts.batchSize }), signal, `in epoch ${epoch}, batch ${p.batch} of ${plan.batchesPerEpoch} (during its evaluation)`);
  return {
    epoch,
    lr: p.lr,
    train_loss: p.lossSum / p.images,
    train_acc: p.correct / p.images,
    test_loss: test.loss,
    test_acc: test.accuracy,
    test_top5: parts.dataset.numClasses > 10 ? test.top5 : undefined,
    deformed_loss: p.deformedSum / p.batch,
    grad_scale: p.scaleSum / p.batch,
    epoch_seconds: (performance.now() - started) / 1000,
    images_per_s: p.images / trainSeconds,
  };
}
