// Noisy heavy-ball descent on the toy surface, many runs at once: the gradient of L gets Gaussian
// noise of std sigma per coordinate, is scaled by phi'(L) (the noise is on grad L, as minibatch
// noise is, and the deformation scales it with the rest), and drives a momentum buffer. Records the
// first step at which each run crosses the escape line into the flat basin.
import { RandomStream } from '../random.js';
import type { ScaleFunction } from './descent.js';
import { evaluate, type ToySurface } from './surface.js';

export interface NoisyOptions {
  readonly surface: ToySurface;
  readonly lr: number;
  readonly sigma: number;
  readonly momentum: number;
  readonly steps: number;
  readonly starts: ReadonlyArray<readonly [number, number]>;
  readonly seed: number;
  /** phi' for a batch of losses; absent for plain descent. */
  readonly dphi?: ScaleFunction;
  /** A run has escaped once its axis fraction (0 sharp, 1 flat) reaches this. */
  readonly escapeAt: number;
  /** Starts whose whole path is kept (the sigma = 0 identity test). */
  readonly tracked?: readonly number[];
}

export interface NoisyResult {
  /** First step (1-based) at which each run was past the escape line; 0 if it never was. */
  readonly escapeSteps: Int32Array;
  /** Steps actually taken: the loop stops once every run has escaped. */
  readonly stepsTaken: number;
  readonly paths: Array<Array<[number, number]>>;
}

/** Past this distance a run has left the picture for good (as in descent.ts). */
const ESCAPED_RADIUS = 1e3;

export function noisyDescend(options: NoisyOptions): NoisyResult {
  const { surface, lr, sigma, momentum, steps, starts, dphi, escapeAt } = options;
  const n = starts.length;
  const xs = Float64Array.from(starts, (p) => p[0]);
  const ys = Float64Array.from(starts, (p) => p[1]);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const losses = new Float32Array(n);
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  const escapeSteps = new Int32Array(n);
  // One stream in (step, run, coordinate) order: every method given the same seed sees the same
  // noise draws (common random numbers), so their differences are not sampling noise.
  const noise = RandomStream.derive(options.seed, 'toy-noise');
  const tracked = options.tracked ?? [];
  const paths = tracked.map((i) => [[xs[i], ys[i]] as [number, number]]);
  // Escaped: the axis fraction (see axisPoint in kramers.ts) has reached escapeAt; as one dot
  // product against a precomputed level.
  const ex = surface.flat.x - surface.sharp.x;
  const ey = surface.flat.y - surface.sharp.y;
  const level = escapeAt * (ex * ex + ey * ey) + surface.sharp.x * ex + surface.sharp.y * ey;
  let remaining = n;
  let step = 0;
  while (step < steps && (remaining > 0 || tracked.length > 0)) {
    for (let i = 0; i < n; i++) {
      const e = evaluate(surface, xs[i], ys[i]);
      losses[i] = e.loss;
      gx[i] = e.gx;
      gy[i] = e.gy;
    }
    const scale = dphi ? dphi(losses) : undefined;
    step++;
    for (let i = 0; i < n; i++) {
      const zx = sigma > 0 ? sigma * noise.normal() : 0;
      const zy = sigma > 0 ? sigma * noise.normal() : 0;
      if (!(xs[i] * xs[i] + ys[i] * ys[i] < ESCAPED_RADIUS * ESCAPED_RADIUS)) continue; // frozen once gone (or NaN)
      // s*(g + noise) with s = lr*phi', in the same order as descend(): at sigma = 0 and mu = 0
      // the update is bit for bit gradient descent's (adding 0 and 0*d changes no float).
      const s = lr * (scale ? scale[i] : 1);
      dx[i] = momentum * dx[i] + s * (gx[i] + zx);
      dy[i] = momentum * dy[i] + s * (gy[i] + zy);
      xs[i] -= dx[i];
      ys[i] -= dy[i];
      if (escapeSteps[i] === 0 && xs[i] * ex + ys[i] * ey >= level) {
        escapeSteps[i] = step;
        remaining--;
      }
    }
    tracked.forEach((i, k) => paths[k].push([xs[i], ys[i]]));
  }
  return { escapeSteps, stepsTaken: step, paths };
}
