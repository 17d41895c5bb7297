// Filter-normalised random directions (Li et al. 2018): a seeded Gaussian per parameter, each
// filter rescaled to the norm of the matching weight filter, so a step of 1 moves every filter
// by its own size and plots of differently scaled networks are comparable.
import * as tf from '@tensorflow/tfjs';
import { RandomStream } from '../random.js';

/** 'biasbn': 1-D parameters (biases, BatchNorm scale and shift) get zero direction; 'none': kept, normalised. */
export const ignoreChoices = ['biasbn', 'none'] as const;
export type IgnoreChoice = (typeof ignoreChoices)[number];

/** A variable's name without the process-wide counter ParamStore appends (`conv1/kernel_12` -> `conv1/kernel`). */
export function stableName(variableName: string): string {
  return variableName.replace(/_\d+$/, '');
}

/**
 * Raw Gaussian entries for one parameter, a function of (seed, axis, name, shape, occurrence)
 * alone: every run of one architecture gets the same raw direction, whatever its weights.
 */
function rawDirection(seed: number, axis: number, name: string, shape: readonly number[], occurrence: number): Float32Array {
  const rng = RandomStream.derive(seed, 'landscape', 'direction', axis, name, shape.join('x'), occurrence);
  const size = shape.reduce((n, d) => n * d, 1);
  return Float32Array.from({ length: size }, () => rng.normal());
}

/**
 * `raw` rescaled filter by filter to `weights`' filter norms. A filter is one slice along the
 * last axis: an output channel of a conv kernel [kh, kw, in, out], an output unit of a dense
 * kernel [in, out]. A 1-D parameter is one filter, or zero with ignore 'biasbn'.
 */
export function filterNormalize(raw: tf.Tensor, weights: tf.Tensor, ignore: IgnoreChoice): tf.Tensor {
  return tf.tidy(() => {
    if (weights.rank <= 1) {
      if (ignore === 'biasbn') return tf.zerosLike(weights);
      return tf.mul(raw, tf.div(tf.norm(weights), tf.add(tf.norm(raw), 1e-10)));
    }
    const axes = Array.from({ length: weights.rank - 1 }, (_, i) => i);
    const filterNorm = (t: tf.Tensor) => tf.sqrt(tf.sum(tf.square(t), axes, true));
    // 1e-10 keeps an all-zero raw filter (impossible in practice) from dividing by zero.
    return tf.mul(raw, tf.div(filterNorm(weights), tf.add(filterNorm(raw), 1e-10)));
  });
}

/** One filter-normalised direction for `params` at their current values; new tensors, the caller disposes. */
export function randomDirection(params: readonly tf.Variable[], seed: number, axis: number, ignore: IgnoreChoice): tf.Tensor[] {
  const seen = new Map<string, number>();
  return params.map((p) => {
    const name = stableName(p.name);
    const occurrence = seen.get(name) ?? 0;
    seen.set(name, occurrence + 1);
    const raw = tf.tensor(rawDirection(seed, axis, name, p.shape, occurrence), p.shape);
    const direction = filterNormalize(raw, p, ignore);
    raw.dispose();
    return direction;
  });
}
