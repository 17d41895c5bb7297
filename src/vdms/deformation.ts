// Turns per-sample losses into the objective the optimizer differentiates. Its gradient is
// phi'(L) * grad L (batch mode) or mean_i phi'(l_i) * grad l_i (sample mode), built as a
// surrogate with detached weights so phi' is applied exactly as the entry defines it (and can
// be capped), without tfjs's unsupported nested gradients.
import * as tf from '@tensorflow/tfjs';
import type { VdmSpec } from './types.js';

/** Identity forward, zero gradient: tfjs has no stop_gradient op. */
const stopGradient = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

export interface DeformedLoss {
  /** Differentiate this. */
  readonly objective: tf.Scalar;
  /** Mean cross-entropy L of the batch (undeformed). */
  readonly loss: tf.Scalar;
  /** phi(L) (batch) or mean phi(l_i) (sample): the value the deformed objective stands for. */
  readonly deformed: tf.Scalar;
  /** The gradient scale actually applied: phi'(L), or mean phi'(l_i); 1 when inactive. */
  readonly scale: tf.Scalar;
}

/** Saveable state: the normalising loss L0 once it is known. */
export interface DeformationState {
  readonly initialLoss: number | null;
}

export class LossDeformation {
  private initialLoss: tf.Scalar | null = null;

  /**
   * `slopes`: c_t by global step for a step-dependent deformation (VdmEntry.stepSlopes); then
   * phi_t(L) = c_t*L and the gradient is scaled by c_t where any other VDM's phi'(L) sits.
   */
  constructor(
    readonly spec: VdmSpec,
    private readonly slopes: Float64Array | null = null,
  ) {}

  /** Whether phi is applied in this epoch (1-based); outside the window training is plain. */
  activeIn(epoch: number): boolean {
    const { entry, options } = this.spec;
    if (entry.name === 'none') return false;
    return epoch >= options.start_epoch && (options.end_epoch === undefined || epoch <= options.end_epoch);
  }

  /** Call inside the gradient tape with the per-sample cross-entropies of a batch at global step `step` (0-based). */
  apply(perSample: tf.Tensor1D, epoch: number, step = 0): DeformedLoss {
    const loss = tf.mean(perSample) as tf.Scalar;
    if (!this.activeIn(epoch)) {
      return { objective: loss, loss, deformed: loss, scale: tf.scalar(1) };
    }
    const { options } = this.spec;
    const losses = options.apply === 'batch' ? loss : perSample;
    const detached = stopGradient(losses);
    let phiValue: tf.Tensor;
    let weights: tf.Tensor;
    if (this.slopes !== null) {
      weights = tf.scalar(this.slopes[Math.min(step, this.slopes.length - 1)]);
      phiValue = tf.mul(weights, detached);
    } else {
      const l0 = this.normalizer(loss);
      phiValue = l0 ? tf.mul(l0, this.phi(tf.div(detached, l0))) : this.phi(detached);
      weights = this.dphi(l0 ? tf.div(detached, l0) : detached);
    }
    if (options.max_scale !== undefined) weights = tf.minimum(weights, options.max_scale);
    const objective = tf.mean(tf.mul(stopGradient(weights), losses)) as tf.Scalar;
    return {
      objective,
      loss,
      deformed: tf.mean(phiValue) as tf.Scalar,
      scale: tf.mean(weights) as tf.Scalar,
    };
  }

  getState(): DeformationState {
    return { initialLoss: this.initialLoss ? this.initialLoss.dataSync()[0] : null };
  }

  setState(state: DeformationState): void {
    this.initialLoss?.dispose();
    this.initialLoss = state.initialLoss === null ? null : tf.keep(tf.scalar(state.initialLoss));
  }

  private phi(x: tf.Tensor): tf.Tensor {
    return this.spec.entry.phi(x, this.spec.params);
  }

  private dphi(x: tf.Tensor): tf.Tensor {
    return this.spec.entry.dphi(x, this.spec.params);
  }

  /** L0 for `normalize: initial`, fixed from the first batch it sees (kept on the device). */
  private normalizer(loss: tf.Scalar): tf.Scalar | null {
    if (this.spec.options.normalize !== 'initial') return null;
    if (this.initialLoss === null) this.initialLoss = tf.keep(tf.clone(stopGradient(loss)));
    return this.initialLoss;
  }
}
