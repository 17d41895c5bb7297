// Sharpness as the rise of the loss under a bounded weight perturbation, found by a few steps of
// projected gradient ascent: Keskar et al. 2017's epsilon-sharpness (a box scaled by |w| + 1) and
// the adaptive sharpness of Kwon et al. 2021 / Andriushchenko et al. 2023 (perturbations measured
// relative to |w|, worst case in an L2 ball and average case under Gaussian noise). Relative
// perturbations make the adaptive figures invariant to rescalings that leave the function alone.
import * as tf from '@tensorflow/tfjs';
import { RandomStream } from '../random.js';
import type { DifferentiableLoss } from './hvp.js';
import { cloneVector, disposeVector, norm, normalVector, type ParamVector } from './vectors.js';

export interface AscentOptions {
  /** Gradient-ascent steps (each one gradient and one loss evaluation). */
  readonly steps: number;
  /** Seeds the start inside the region (at a minimum the gradient alone would not move). */
  readonly seed: number;
}

/** Runs `use` with the weights moved to w0 + delta(w0) for each call of `at`, and puts them back. */
async function withPerturbations<T>(loss: DifferentiableLoss, use: (at: (delta: ParamVector) => void, origin: ParamVector) => Promise<T>): Promise<T> {
  const origin = cloneVector(loss.params);
  const at = (delta: ParamVector) => tf.tidy(() => loss.params.forEach((p, i) => p.assign(tf.add(origin[i], delta[i]))));
  try {
    return await use(at, origin);
  } finally {
    loss.params.forEach((p, i) => p.assign(origin[i]));
    disposeVector(origin);
  }
}

/** Swaps `next` in for `current`, freeing the old tensors. */
function replace(current: tf.Tensor[], next: tf.Tensor[]): tf.Tensor[] {
  disposeVector(current);
  return next;
}

export interface EpsilonSharpness {
  /** 100 (max L(w + delta) - L(w)) / (1 + L(w)) over the box, as Keskar et al. report it. */
  readonly sharpness: number;
  readonly baseLoss: number;
}

/**
 * The box |delta_i| <= epsilon (|w_i| + 1), searched by sign-gradient steps of the box's half
 * width, clipped back into it (the L-infinity analogue of projected gradient ascent; Keskar et
 * al. used L-BFGS-B). A quadratic's maximum over a box sits at a corner, which these reach.
 */
export async function epsilonSharpness(loss: DifferentiableLoss, epsilon: number, options: AscentOptions): Promise<EpsilonSharpness> {
  const baseLoss = await loss.loss();
  const rng = RandomStream.derive(options.seed, 'sharpness', 'epsilon');
  return withPerturbations(loss, async (at, origin) => {
    const bound = tf.tidy(() => origin.map((w) => tf.mul(tf.add(tf.abs(w), 1), epsilon)));
    const start = normalVector(origin.map((w) => w.shape), rng);
    let delta = tf.tidy(() => start.map((z, i) => tf.mul(tf.clipByValue(z, -1, 1), bound[i])));
    disposeVector(start);
    let best = baseLoss;
    try {
      for (let step = 0; step <= options.steps; step++) {
        at(delta);
        best = Math.max(best, await loss.loss());
        if (step === options.steps) break;
        const gradient = await loss.gradient();
        const d = delta;
        // A step of the half width, clipped to the box (per entry: clipByValue takes scalars only).
        delta = replace(delta, tf.tidy(() => d.map((x, i) => tf.minimum(tf.maximum(tf.add(x, tf.mul(tf.sign(gradient[i]), bound[i])), tf.neg(bound[i])), bound[i]))));
        disposeVector(gradient);
      }
    } finally {
      disposeVector(delta);
      disposeVector(bound);
    }
    return { sharpness: (100 * (best - baseLoss)) / (1 + baseLoss), baseLoss };
  });
}

export interface AdaptiveSharpness {
  /** max L(w + delta) - L(w) over ||delta / |w| ||_2 <= rho. */
  readonly worst: number;
  /** E L(w + sigma |w| z) - L(w), z standard normal, over the noise samples. */
  readonly average: number;
  readonly averageStderr: number;
}

/**
 * Worst case: ascent in u = delta / |w| (so the step is the same for any rescaling of w), each
 * step u <- project(u + 2 rho g_u / ||g_u||) with g_u = |w| * gradient, back onto the ball of
 * radius rho. On a quadratic this is power iteration on I + c |w| H |w|: it converges to the
 * top eigenvector, where the rise is rho^2 lambda_max(|w| H |w|) / 2.
 */
export async function adaptiveWorstCase(loss: DifferentiableLoss, rho: number, options: AscentOptions): Promise<number> {
  const baseLoss = await loss.loss();
  const rng = RandomStream.derive(options.seed, 'sharpness', 'adaptive-worst');
  return withPerturbations(loss, async (at, origin) => {
    const scale = origin.map((w) => tf.abs(w));
    const start = normalVector(origin.map((w) => w.shape), rng);
    const startNorm = await norm(start);
    let u = tf.tidy(() => start.map((z) => tf.mul(z, rho / startNorm)));
    disposeVector(start);
    let best = baseLoss;
    try {
      for (let step = 0; step <= options.steps; step++) {
        const current = u;
        const delta = tf.tidy(() => current.map((x, i) => tf.mul(x, scale[i])));
        at(delta);
        disposeVector(delta);
        best = Math.max(best, await loss.loss());
        if (step === options.steps) break;
        const gradient = await loss.gradient();
        const gu = tf.tidy(() => gradient.map((g, i) => tf.mul(g, scale[i])));
        disposeVector(gradient);
        const length = await norm(gu);
        if (length === 0) {
          disposeVector(gu);
          break;
        }
        const moved = tf.tidy(() => current.map((x, i) => tf.add(x, tf.mul(gu[i], (2 * rho) / length))));
        disposeVector(gu);
        const movedNorm = await norm(moved);
        u = replace(u, tf.tidy(() => moved.map((x) => tf.mul(x, Math.min(1, rho / movedNorm)))));
        disposeVector(moved);
      }
    } finally {
      disposeVector(u);
      disposeVector(scale);
    }
    return best - baseLoss;
  });
}

/** Average case: the mean rise under noise sigma |w| z over `samples` seeded draws, with its standard error. */
export async function adaptiveAverageCase(loss: DifferentiableLoss, sigma: number, samples: number, seed: number): Promise<{ average: number; stderr: number }> {
  const baseLoss = await loss.loss();
  const rng = RandomStream.derive(seed, 'sharpness', 'adaptive-average');
  return withPerturbations(loss, async (at, origin) => {
    const rises: number[] = [];
    for (let k = 0; k < samples; k++) {
      const z = normalVector(origin.map((w) => w.shape), rng);
      const delta = tf.tidy(() => z.map((x, i) => tf.mul(x, tf.mul(tf.abs(origin[i]), sigma))));
      disposeVector(z);
      at(delta);
      disposeVector(delta);
      rises.push((await loss.loss()) - baseLoss);
    }
    const mean = rises.reduce((a, b) => a + b, 0) / rises.length;
    const variance = rises.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(rises.length - 1, 1);
    return { average: mean, stderr: Math.sqrt(variance / rises.length) };
  });
}
