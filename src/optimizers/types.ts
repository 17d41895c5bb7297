// What an optimizer is to the trainer: an update rule with explicit, saveable slot state.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';

/** Slot tensors (momentum buffers, Adam moments) as host arrays, plus the step count. */
export interface OptimizerState {
  readonly step: number;
  readonly slots: Record<string, Float32Array[]>;
}

/**
 * A sharpness-aware optimizer's ascent (SAM, ASAM): the step's second gradient is taken at the
 * perturbed weights w + e, and the update is then made at w from that gradient.
 */
export interface Perturbation {
  /** Which forward passes update BatchNorm's running statistics: the first (at w) or both. */
  readonly batchNorm: 'first' | 'both';
  /** Moves params from w to w + e, e computed from the (deformed) gradients at w; keeps w. */
  ascend(params: readonly tf.Variable[], grads: readonly tf.Tensor[]): void;
  /** Puts back the w kept by ascend, bit for bit. */
  restore(params: readonly tf.Variable[]): void;
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
  /** Present for a two-pass optimizer: the trainer ascends, takes a second gradient, restores. */
  readonly perturbation?: Perturbation;
}


/** Settings every optimizer takes; the rest of `optimizer:` is the entry's own params. */
export interface CommonOptimizerOptions {
  readonly lr: number;
  readonly weight_decay: number;
  /**
   * Per parameter (in the model's order): true for a weight (a kernel, a BatchNorm scale), false
   * for an offset (a bias, a BatchNorm shift). ASAM scales only weights' ascent by |w|; absent,
   * every parameter counts as a weight.
   */
  readonly weightParams?: readonly boolean[];
}

export interface OptimizerEntry<P = any> extends NamedEntry {
  readonly params: z.ZodType<P>;
  /** The papers an entry follows (shown by `vdm list`). */
  readonly reference?: string;
  /**
   * Gradient evaluations (forward and backward passes) one step costs: SAM 2, the rest 1.
   * summary.json counts a run's cost from it, and the compute_matched control trains the baseline
   * this many times as long (src/experiments/controls.ts). A two-pass optimizer (one with a
   * perturbation) declares 2; test/optimizers checks every entry says what it does.
   */
  readonly gradientEvaluationsPerStep: number;
  create(params: P, common: CommonOptimizerOptions): Optimizer;
}
