// What an optimizer is to the trainer: an update rule with explicit, saveable slot state.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';

/** Slot tensors (momentum buffers, Adam moments) as host arrays, plus the step count. */
export interface OptimizerState {
  readonly step: number;
  readonly slots: Record<string, Float32Array[]>;
}

export interface Optimizer {
  /**
   * Updates params in place from the (already deformed) gradients. Weight decay is added
   * here, after the deformation, so phi never scales it.
   */
  step(params: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number): void;
  getState(): OptimizerState;
  setState(state: OptimizerState, params: readonly tf.Variable[]): void;
  dispose(): void;
}

/** Settings every optimizer takes; the rest of `optimizer:` is the entry's own params. */
export interface CommonOptimizerOptions {
  readonly lr: number;
  readonly weight_decay: number;
}

export interface OptimizerEntry<P = any> extends NamedEntry {
  readonly params: z.ZodType<P>;
  create(params: P, common: CommonOptimizerOptions): Optimizer;
}
