// Vectors in weight space: one tensor per model parameter, shaped like it. The Hessian tools
// work on these on the device and read back only scalars (dot products, norms).
import * as tf from '@tensorflow/tfjs';
import type { RandomStream } from '../random.js';

export type ParamVector = readonly tf.Tensor[];

export function disposeVector(v: ParamVector): void {
  tf.dispose([...v]);
}

/** a . b, summed over every parameter tensor. */
export async function dot(a: ParamVector, b: ParamVector): Promise<number> {
  const total = tf.tidy(() => tf.addN(a.map((t, i) => tf.sum(tf.mul(t, b[i])))));
  const [value] = await total.data();
  total.dispose();
  return value;
}

export async function norm(v: ParamVector): Promise<number> {
  return Math.sqrt(await dot(v, v));
}

export function scale(v: ParamVector, factor: number): tf.Tensor[] {
  return tf.tidy(() => v.map((t) => tf.mul(t, factor)));
}

/** Copies of the tensors (e.g. a variable's current values, kept after it is reassigned). */
export function cloneVector(v: ParamVector): tf.Tensor[] {
  return v.map((t) => tf.clone(t));
}

type Shapes = readonly (readonly number[])[];

/** Host draws shaped like `shapes`, so the vector depends on the seed and nothing else (not the backend). */
function drawVector(shapes: Shapes, draw: () => number): tf.Tensor[] {
  return shapes.map((shape) => {
    const size = shape.reduce((n, d) => n * d, 1);
    return tf.tensor(Float32Array.from({ length: size }, draw), [...shape]);
  });
}

export function normalVector(shapes: Shapes, rng: RandomStream): tf.Tensor[] {
  return drawVector(shapes, () => rng.normal());
}

/** Entries +1 or -1 with equal chance: the Hutchinson probe with the smallest variance. */
export function rademacherVector(shapes: Shapes, rng: RandomStream): tf.Tensor[] {
  return drawVector(shapes, () => (rng.nextUint32() & 1 ? 1 : -1));
}
