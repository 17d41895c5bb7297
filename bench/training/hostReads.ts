// Counts device-to-host reads (Tensor data/dataSync/array/arraySync) while installed; a read
// made inside another (array() calls data()) counts once.
import * as tf from '@tensorflow/tfjs';

const READ_METHODS = ['data', 'dataSync', 'array', 'arraySync'] as const;

export class HostReadCounter {
  count = 0;
  private depth = 0;
  private readonly originals = new Map<string, (...args: unknown[]) => unknown>();

  install(): void {
    const proto = tf.Tensor.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of READ_METHODS) {
      const original = proto[name]!;
      this.originals.set(name, original);
      const counter = this;
      proto[name] = function (this: tf.Tensor, ...args: unknown[]) {
        if (counter.depth === 0) counter.count++;
        counter.depth++;
        let result: unknown;
        try {
          result = original.apply(this, args);
        } finally {
          counter.depth--;
        }
        return result;
      };
    }
  }

  uninstall(): void {
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    for (const [name, original] of this.originals) proto[name] = original;
    this.originals.clear();
  }
}
