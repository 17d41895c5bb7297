// A model's forward FLOPs per image, counted on the shape-only backend from the shapes its layers
// produce: the arithmetic of a full-size network without allocating or running it.
import * as tf from '@tensorflow/tfjs';
import { onShapeBackend, type ShapeBackend } from '../backend/shapeBackend.js';
import { RandomStream } from '../random.js';
import { ShapeOnlyStore } from './nn.js';
import { disposeModel, type Model, type ModelEntry, type ModelSize } from './types.js';

/**
 * Runs `measure` with `entry`'s model built on the shape-only backend: entries with `build` get
 * weights without values; the others are small and are built as they are (their weights' values
 * are dropped at once).
 */
export async function onShapeModel<P, T>(entry: ModelEntry<P>, params: P, size: ModelSize, measure: (model: Model, backend: ShapeBackend) => T): Promise<T> {
  return onShapeBackend((backend) => {
    const model = entry.build ? entry.build(params, size, new ShapeOnlyStore()) : entry.create(params, { ...size, rng: RandomStream.derive(0, 'shape-count') });
    try {
      return measure(model, backend);
    } finally {
      disposeModel(model);
    }
  });
}

/**
 * FLOPs of one image's inference-mode forward pass (2 per multiply-add of convolutions and dense
 * layers, 1 per element of the rest).
 */
export async function forwardFlops<P>(entry: ModelEntry<P>, params: P, size: ModelSize): Promise<number> {
  return onShapeModel(entry, params, size, (model, backend) => {
    backend.flops = 0;
    tf.tidy(() => {
      model.forward(tf.fill([1, ...size.inputShape], 0) as tf.Tensor4D, { training: false, batchNormUpdates: [] });
    });
    return backend.flops;
  });
}
