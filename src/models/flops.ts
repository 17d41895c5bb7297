// A model's forward FLOPs per image, counted on the shape-only backend from the shapes its layers
// produce: the arithmetic of a full-size network without allocating or running it.
import * as tf from '@tensorflow/tfjs';
import { onShapeBackend } from '../backend/shapeBackend.js';
import { RandomStream } from '../random.js';
import { ShapeOnlyStore } from './nn.js';
import { disposeModel, type ModelEntry, type ModelSize } from './types.js';

/**
 * FLOPs of one image's inference-mode forward pass (2 per multiply-add of convolutions and dense
 * layers, 1 per element of the rest). Entries with `build` get weights without values; the
 * others are small and are built as they are (their weights' values are dropped at once).
 */
export async function forwardFlops<P>(entry: ModelEntry<P>, params: P, size: ModelSize): Promise<number> {
  return onShapeBackend((backend) => {
    const model = entry.build ? entry.build(params, size, new ShapeOnlyStore()) : entry.create(params, { ...size, rng: RandomStream.derive(0, 'flop-count') });
    try {
      backend.flops = 0;
      tf.tidy(() => {
        model.forward(tf.fill([1, ...size.inputShape], 0) as tf.Tensor4D, { training: false, batchNormUpdates: [] });
      });
      return backend.flops;
    } finally {
      disposeModel(model);
    }
  });
}
