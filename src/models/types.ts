// What a model is to the trainer: a forward function over NHWC images and its variables.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';
import { RandomStream } from '../random.js';
import type { ForwardContext, ParamStore } from './nn.js';

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

/** A model's input and output sizes, without the weights' random stream. */
export type ModelSize = Omit<ModelShape, 'rng'>;

export interface ModelEntry<P = any> extends NamedEntry {
  readonly params: z.ZodType<P>;
  create(params: P, shape: ModelShape): Model;
  /**
   * The trainable parameter count, from the same builder on a ParameterCounter (no weights
   * allocated): full-size networks of tens of millions of weights count at once. Entries without
   * it are small enough to build.
   */
  parameterCount?(params: P, size: ModelSize): number;
  /**
   * Builds the network on a given store: a ParameterCounter, or a store of shape-only weights
   * (the FLOP count of `vdm run --dry-run`). Entries without it are small enough to build.
   */
  build?(params: P, size: ModelSize, store: ParamStore): Model;
  /** The size `vdm list` counts parameters at; CIFAR-10's (32x32x3, 10 classes) when absent. */
  readonly listedSize?: ModelSize;
  /**
   * Parameters of a small variant that still has every kind of layer, for the registry-driven
   * tests (forward, backward, step, export) on small inputs; the defaults when absent.
   */
  readonly smallParams?: Record<string, unknown>;
  /**
   * A smaller member of the family (a few hundred MFLOPs an image) that `vdm run --dry-run` times
   * in place of a network too big to time on a CPU, scaling by their FLOP ratio; smallParams when absent.
   */
  readonly probeParams?: Record<string, unknown>;
}

export const CIFAR10_SIZE: ModelSize = { inputShape: [32, 32, 3], numClasses: 10 };

export function countParameters(model: Model): number {
  return model.params.reduce((n, p) => n + p.size, 0);
}

/** An entry's parameter count at `size`: counted without weights where it can, else built and freed. */
export function entryParameterCount<P>(entry: ModelEntry<P>, params: P, size: ModelSize): number {
  if (entry.parameterCount) return entry.parameterCount(params, size);
  const model = entry.create(params, { ...size, rng: RandomStream.derive(0, 'parameter-count') });
  try {
    return countParameters(model);
  } finally {
    disposeModel(model);
  }
}

/** Frees a model's variables (tests and sweeps build many models in one process). */
export function disposeModel(model: Model): void {
  [...model.params, ...model.buffers].forEach((v) => v.dispose());
}
