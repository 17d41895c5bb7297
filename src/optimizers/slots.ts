// Per-parameter slot tensors shared by the optimizers: lazily created, saved and restored.
import * as tf from '@tensorflow/tfjs';

export class SlotSet {
  private readonly slots: tf.Variable[] = [];

  /** The slot for parameter i, zero-initialised on first use. */
  get(i: number, param: tf.Variable): tf.Variable {
    this.slots[i] ??= tf.variable(tf.zerosLike(param), false);
    return this.slots[i];
  }

  save(): Float32Array[] {
    return this.slots.map((s) => s.dataSync() as Float32Array);
  }

  restore(values: Float32Array[], params: readonly tf.Variable[]): void {
    // tidy: frees the zero initialiser and the temporary tensors (the variables survive it).
    tf.tidy(() => values.forEach((v, i) => this.get(i, params[i]).assign(tf.tensor(v, params[i].shape))));
  }

  dispose(): void {
    this.slots.forEach((s) => s.dispose());
    this.slots.length = 0;
  }
}
