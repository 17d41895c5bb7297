// What a vertical deformation mapping is to the code: phi and its derivative as tensor ops.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { NamedEntry } from '../registry.js';

export interface VdmEntry<P = any> extends NamedEntry {
  /** phi(L) in plain notation, shown by `vdm list vdms`. */
  readonly formula: string;
  /** phi'(L) in plain notation. */
  readonly derivativeFormula: string;
  /** Schema of the entry's own parameters under `vdm:` (with defaults). */
  readonly params: z.ZodType<P>;
  /** Where the formula comes from, if anywhere. */
  readonly reference?: string;
  /**
   * phi'(0) = 0 by design (sech): the load-time check wants phi' > 0 only on (0, L_max] and
   * does not call the small phi' near 0 a killed step.
   */
  readonly vanishesAtZero?: boolean;
  /**
   * false for a phi that is not increasing everywhere (flood ascends below its level): the
   * load-time check then accepts phi' < 0 and notes it (deformationNote) instead of refusing.
   */
  readonly monotone?: false;
  /**
   * Losses where phi' jumps (linear_band): phi' is checked piece by piece, and finite
   * differences are not taken across these points.
   */
  breakpoints?(params: P): number[];
  /** phi, elementwise on non-negative losses. */
  phi(loss: tf.Tensor, params: P): tf.Tensor;
  /**
   * phi', elementwise. Given explicitly because tfjs cannot take a gradient inside another
   * gradient's tape; tests check it against autodiff and finite differences.
   */
  dphi(loss: tf.Tensor, params: P): tf.Tensor;
  /**
   * Only for a deformation whose slope depends on the training step alone, phi_t(L) = c_t*L
   * (recorded_scale): c_t for every global step (0-based), made when the run is built. Training
   * then scales the gradient by c_t; phi and dphi describe c = 1 for the load-time check.
   */
  stepSlopes?(params: P, run: StepSlopeContext): Float64Array;
}

/** What a step-dependent deformation needs to know of the run it is built for. */
export interface StepSlopeContext {
  readonly seed: number;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
}

/** How a VDM is applied, whatever its phi: the options every VDM takes. */
export interface VdmOptions {
  /** 'batch': phi of the mean batch loss (the paper's deformation); 'sample': mean of phi per sample. */
  readonly apply: 'batch' | 'sample';
  /** 'initial': use L0 * phi(L / L0) with L0 the first batch loss. */
  readonly normalize: 'none' | 'initial';
  /** First and last epoch (1-based, inclusive) in which the deformation is active. */
  readonly start_epoch: number;
  readonly end_epoch?: number;
  /** Upper bound on phi'(L), a guard against blown-up steps. */
  readonly max_scale?: number;
  /**
   * Largest loss (after normalising) the load-time check expects phi to see; default 20, or 2
   * under `normalize: initial`.
   */
  readonly loss_max?: number;
}

/** A VDM resolved from a config: the entry, its validated parameters and the options. */
export interface VdmSpec<P = any> {
  readonly entry: VdmEntry<P>;
  readonly params: P;
  readonly options: VdmOptions;
}
