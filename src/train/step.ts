// One optimisation step and one evaluation pass, as tensor programs. Each step reads back a
// single small tensor of statistics (one device-to-host transfer), so a GPU is not stalled.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../datasets/types.js';
import { logSoftmax } from '../backend/logSoftmax.js';
import { InterruptedError } from '../errors.js';
import { applyBatchNormUpdates, type BatchNormUpdate } from '../models/nn.js';
import type { Model } from '../models/types.js';
import type { Optimizer } from '../optimizers/types.js';
import { RandomStream } from '../random.js';
import type { LossDeformation } from '../vdms/deformation.js';

export interface StepInput {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly deformation: LossDeformation;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** The run seed: a step's dropout masks follow (seed, step), so a resumed run draws the same ones. */
  readonly seed: number;
}

export interface StepResult {
  readonly loss: number;
  readonly correct: number;
  readonly deformedLoss: number;
  readonly gradScale: number;
}

function batchTensors(batch: Batch, input: StepInput): { x: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    x: tf.tensor4d(batch.x, [batch.size, ...input.inputShape]),
    labels: tf.tensor1d(batch.y, 'int32'),
  };
}

/** Per-example cross-entropy of logits against integer labels (twice differentiable: see logSoftmax). */
export function crossEntropyPerSample(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.oneHot(labels, numClasses), logSoftmax(logits)), 1)) as tf.Tensor1D);
}

function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
}

/** Examples whose label is among the 5 highest logits (ties resolved in the label's favour). */
function countTop5(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  const labelLogit = tf.sum(tf.mul(logits, tf.oneHot(labels, numClasses)), 1, true);
  const higher = tf.sum(tf.cast(tf.greater(logits, labelLogit), 'float32'), 1);
  return tf.sum(tf.cast(tf.less(higher, 5), 'float32')) as tf.Scalar;
}

interface PassResult {
  readonly grads: tf.Tensor[];
  /** [loss, correct, deformed loss, gradient scale] of the pass. */
  readonly stats: tf.Tensor;
  readonly batchNormUpdates: BatchNormUpdate[];
}

/** One forward and backward pass at the current weights: the deformed objective's gradients. */
function deformedGradients(input: StepInput, x: tf.Tensor4D, labels: tf.Tensor1D, epoch: number, step: number): PassResult {
  const { model, deformation, numClasses } = input;
  const batchNormUpdates: BatchNormUpdate[] = [];
  let stats: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    // A fresh stream per pass: a sharpness-aware second pass drops the same units as the first.
    const random = RandomStream.derive(input.seed, 'dropout', step);
    const logits = model.forward(x, { training: true, batchNormUpdates, random });
    const deformed = deformation.apply(crossEntropyPerSample(logits, labels, numClasses), epoch, step);
    stats = tf.keep(tf.stack([deformed.loss, countCorrect(logits, labels), deformed.deformed, deformed.scale]));
    return deformed.objective;
  }, model.params);
  value.dispose();
  return { grads: model.params.map((p) => grads[p.name]), stats: stats as unknown as tf.Tensor, batchNormUpdates };
}

function disposeBatchNormUpdates(updates: readonly BatchNormUpdate[]): void {
  tf.dispose(updates.flatMap((u) => [u.mean, u.variance]));
}

/**
 * One step at global step `step` (0-based; a step-dependent deformation reads its slope there).
 * A sharpness-aware optimizer (optimizer.perturbation) costs a second pass at the ascended
 * weights, deformed by the same VDM; the figures reported are the first pass's, at w.
 */
export async function trainStep(input: StepInput, batch: Batch, lr: number, epoch: number, step = 0): Promise<StepResult> {
  const { model, optimizer } = input;
  const { x, labels } = batchTensors(batch, input);
  const first = deformedGradients(input, x, labels, epoch, step);
  let grads = first.grads;
  const perturbation = optimizer.perturbation;
  if (perturbation) {
    perturbation.ascend(model.params, first.grads);
    const second = deformedGradients(input, x, labels, epoch, step);
    perturbation.restore(model.params);
    tf.dispose([...first.grads, second.stats]);
    grads = second.grads;
    // Folded in after the first pass's: the order PyTorch's two forward passes update them in.
    if (perturbation.batchNorm === 'both') first.batchNormUpdates.push(...second.batchNormUpdates);
    else disposeBatchNormUpdates(second.batchNormUpdates);
  }
  optimizer.step(model.params, grads, lr);
  tf.dispose([...grads, x, labels]);
  applyBatchNormUpdates(first.batchNormUpdates);
  const [loss, correct, deformedLoss, gradScale] = await first.stats.data();
  first.stats.dispose();
  return { loss, correct, deformedLoss, gradScale };
}

/**
 * Lets timers, I/O and signal handlers run. Each step's own await settles as a microtask, so
 * without this a terminal's progress bar and Ctrl-C would wait for the epoch's end.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface EvaluationResult {
  readonly loss: number;
  readonly accuracy: number;
  readonly top5: number;
  readonly count: number;
}

/**
 * Mean loss, top-1 and top-5 accuracy over a split, BatchNorm in inference mode. Yields to the
 * event loop after each batch and stops with InterruptedError once `signal` is aborted.
 */
export async function evaluate(input: StepInput, batches: AsyncIterable<Batch>, signal?: AbortSignal, where = 'during evaluation'): Promise<EvaluationResult> {
  const { model, numClasses } = input;
  let totals = tf.keep(tf.zeros([3]));
  let count = 0;
  for await (const batch of batches) {
    const next = tf.tidy(() => {
      const { x, labels } = batchTensors(batch, input);
      const logits = model.forward(x, { training: false, batchNormUpdates: [] });
      const lossSum = tf.sum(crossEntropyPerSample(logits, labels, numClasses));
      return tf.add(totals, tf.stack([lossSum, countCorrect(logits, labels), countTop5(logits, labels, numClasses)]));
    });
    totals.dispose();
    totals = tf.keep(next);
    count += batch.size;
    await yieldToEventLoop();
    if (signal?.aborted) {
      totals.dispose();
      throw new InterruptedError(`interrupted ${where}`);
    }
  }
  const [lossSum, correct, top5] = await totals.data();
  totals.dispose();
  return { loss: lossSum / count, accuracy: correct / count, top5: top5 / count, count };
}
