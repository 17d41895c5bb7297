// What a model is to the trainer: a forward function over NHWC images and its variables.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';
import type { RandomStream } from '../random.js';
import type { ForwardContext } from './nn.js';

export interface Model {
  readonly name: string;
  /** Trainable weights (what the optimizer updates and weight decay applies to). */
  readonly params: tf.Variable[];
  /** Non-trainable state saved with checkpoints (BatchNorm moving statistics). */
  readonly buffers: tf.Variable[];
  /** Logits [batch, classes] for NHWC inputs. */
  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D;
}

export interface ModelShape {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** The 'init' stream of the run: weights follow the seed. */
  readonly rng: RandomStream;
}

export interface ModelEntry<P = any> extends NamedEntry {
  readonly params: z.ZodType<P>;
  create(params: P, shape: ModelShape): Model;
}

export function countParameters(model: Model): number {
  return model.params.reduce((n, p) => n + p.size, 0);
}

/** Frees a model's variables (tests and sweeps build many models in one process). */
export function disposeModel(model: Model): void {
  [...model.params, ...model.buffers].forEach((v) => v.dispose());
}
