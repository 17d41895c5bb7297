// The running average of the weights that SWA keeps beside the model, updated once an epoch as
// torch.optim.swa_utils.AveragedModel.update_parameters does: a <- a + (w - a) / (n + 1). After
// training it also holds the BatchNorm statistics recomputed for it and its test figures.
import * as tf from '@tensorflow/tfjs';

/** The averaged model's result, recorded in summary.json. */
export interface SwaResult {
  readonly test_loss: number;
  readonly test_acc: number;
  readonly test_top5?: number;
}

/** What a checkpoint holds of an average: host copies, restorable bit for bit. */
export interface WeightAverageState {
  readonly averaged: number;
  readonly params: Float32Array[];
  /** Recomputed BatchNorm statistics; null until training has ended. */
  readonly buffers: Float32Array[] | null;
  readonly result: SwaResult | null;
}

export class WeightAverage {
  private params: tf.Tensor[] | null = null;
  private finalBuffers: tf.Tensor[] | null = null;
  private finalResult: SwaResult | null = null;
  private count = 0;

  /** Epochs (weight vectors) averaged so far. */
  get averaged(): number {
    return this.count;
  }

  /** The averaged weights, in the model's parameter order; null before the first update. */
  get weights(): readonly tf.Tensor[] | null {
    return this.params;
  }

  get buffers(): readonly tf.Tensor[] | null {
    return this.finalBuffers;
  }

  get result(): SwaResult | null {
    return this.finalResult;
  }

  /** Folds the current weights in. The first update copies them, as AveragedModel does. */
  update(weights: readonly tf.Tensor[]): void {
    const previous = this.params;
    const n = this.count;
    this.params = tf.tidy(() => (previous === null ? weights.map((w) => tf.clone(w)) : previous.map((a, i) => tf.add(a, tf.div(tf.sub(weights[i]!, a), n + 1)))));
    if (previous) tf.dispose(previous);
    this.count++;
    this.clearFinal(); // statistics and figures of an earlier average no longer describe this one
  }

  /** Records the statistics recomputed for the average (copied) and its test figures. */
  finish(buffers: readonly tf.Tensor[], result: SwaResult): void {
    this.clearFinal();
    this.finalBuffers = buffers.map((b) => tf.clone(b));
    this.finalResult = result;
  }

  getState(): WeightAverageState {
    return {
      averaged: this.count,
      params: (this.params ?? []).map((t) => t.dataSync() as Float32Array),
      buffers: this.finalBuffers?.map((t) => t.dataSync() as Float32Array) ?? null,
      result: this.finalResult,
    };
  }

  /** Restores a saved state; `shapes` are the model's parameter and buffer shapes. */
  setState(state: WeightAverageState, shapes: { params: number[][]; buffers: number[][] }): void {
    this.dispose();
    this.count = state.averaged;
    this.params = state.averaged > 0 ? state.params.map((v, i) => tf.tensor(v, shapes.params[i])) : null;
    this.finalBuffers = state.buffers?.map((v, i) => tf.tensor(v, shapes.buffers[i])) ?? null;
    this.finalResult = state.result;
  }

  private clearFinal(): void {
    if (this.finalBuffers) tf.dispose(this.finalBuffers);
    this.finalBuffers = null;
    this.finalResult = null;
  }

  dispose(): void {
    if (this.params) tf.dispose(this.params);
    this.params = null;
    this.clearFinal();
    this.count = 0;
  }
}
