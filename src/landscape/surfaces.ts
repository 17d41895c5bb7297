// Where a grid point puts the model: along filter-normalised directions from the run's weights,
// or on the line between two runs' weights and BatchNorm statistics.
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../errors.js';
import { cloneVector, disposeVector } from '../flatness/vectors.js';
import type { Model } from '../models/types.js';
import { randomDirection, type IgnoreChoice } from './directions.js';

export interface Surface {
  /** Sets the model's variables to the point's (and leaves them there). */
  moveTo(point: readonly number[]): void;
  /** Puts the model back where it started and frees the saved tensors. */
  dispose(): void;
}

function assignAll(variables: readonly tf.Variable[], values: (i: number) => tf.Tensor): void {
  variables.forEach((v, i) => tf.tidy(() => v.assign(values(i))));
}

/** w + x d1 (+ y d2): d_k seeded per axis, normalised to the weights the model holds now. */
export function directionSurface(model: Model, seed: number, dims: 1 | 2, ignore: IgnoreChoice): Surface {
  const origin = cloneVector(model.params);
  // Kept so the run's own statistics come back after --bn recompute overwrote them point by point.
  const statistics = cloneVector(model.buffers);
  const directions = Array.from({ length: dims }, (_, axis) => randomDirection(model.params, seed, axis, ignore));
  return {
    moveTo(point) {
      assignAll(model.params, (i) => directions.reduce((w, d, axis) => tf.add(w, tf.mul(d[i], point[axis])), origin[i] as tf.Tensor));
    },
    dispose() {
      assignAll(model.params, (i) => origin[i]);
      assignAll(model.buffers, (i) => statistics[i]);
      disposeVector(origin);
      disposeVector(statistics);
      directions.forEach(disposeVector);
    },
  };
}

function checkSameShapes(a: readonly tf.Variable[], b: readonly tf.Variable[], what: string, where: string): void {
  const shapes = (vs: readonly tf.Variable[]) => vs.map((v) => v.shape.join('x')).join(',');
  if (shapes(a) !== shapes(b)) throw new DataError(`${where}: the two runs' ${what} differ in shape; interpolation needs one architecture`);
}

/**
 * (1 - alpha) A + alpha B for the weights and the BatchNorm statistics alike, so alpha = 0 and 1
 * are exactly the two trained networks. `model` holds A on entry; B's values are copied.
 */
export function interpolationSurface(model: Model, other: Model, where: string): Surface {
  checkSameShapes(model.params, other.params, 'weights', where);
  checkSameShapes(model.buffers, other.buffers, 'BatchNorm statistics', where);
  const variables = [...model.params, ...model.buffers];
  const start = cloneVector(variables);
  const end = cloneVector([...other.params, ...other.buffers]);
  return {
    moveTo([alpha]) {
      assignAll(variables, (i) => tf.add(tf.mul(start[i], 1 - alpha), tf.mul(end[i], alpha)));
    },
    dispose() {
      assignAll(variables, (i) => start[i]);
      disposeVector(start);
      disposeVector(end);
    },
  };
}
