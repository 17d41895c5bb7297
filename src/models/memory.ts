// The bytes of the tensors a model's forward pass creates, counted on the shape-only backend from
// the shapes its layers produce: the memory of a full-size step without allocating one.
import * as tf from '@tensorflow/tfjs';
import { onShapeModel } from './flops.js';
import type { ModelEntry, ModelSize } from './types.js';

/**
 * Bytes of every tensor an inference-mode forward pass of `batch` images creates (4 per element,
 * none freed: a training step's tape keeps them all until the backward pass), weights excluded.
 */
export async function forwardActivationBytes<P>(entry: ModelEntry<P>, params: P, size: ModelSize, batch: number): Promise<number> {
  return onShapeModel(entry, params, size, (model, backend) => {
    const before = backend.liveBytes;
    backend.peakBytes = before;
    tf.tidy(() => {
      model.forward(tf.fill([batch, ...size.inputShape], 0) as tf.Tensor4D, { training: false, batchNormUpdates: [] });
    });
    return backend.peakBytes - before;
  });
}
