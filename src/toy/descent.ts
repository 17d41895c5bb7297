// Gradient descent on the toy surface from many starts at once, plain or deformed: the step is
// lr * phi'(L) * grad L, with phi' evaluated for all starts together (one tensor call per step).
import { evaluate, type ToyMinimum, type ToySurface } from './surface.js';

/** phi' for a batch of losses; absent for plain gradient descent. */
export type ScaleFunction = (losses: Float32Array) => Float32Array;

export type Outcome = 'sharp' | 'flat' | 'other';

export interface DescentOptions {
  readonly surface: ToySurface;
  readonly lr: number;
  readonly steps: number;
  readonly starts: ReadonlyArray<readonly [number, number]>;
  readonly dphi?: ScaleFunction;
  /** Starts whose whole path is kept, for the figure. */
  readonly tracked?: readonly number[];
}

export interface EndPoint {
  readonly startX: number;
  readonly startY: number;
  readonly x: number;
  readonly y: number;
  readonly loss: number;
  readonly outcome: Outcome;
}

export interface DescentResult {
  readonly ends: EndPoint[];
  /** Paths of the tracked starts, in the order given. */
  readonly paths: Array<Array<[number, number]>>;
}

/**
 * A run has settled in a minimum if it ends this close to it and its last step was tiny: a
 * 2-cycle around an unstable minimum (what a decreasing phi' turns divergence into) is not.
 */
const SETTLED_RADIUS = 0.05;
const SETTLED_STEP = 1e-5;
/** Past this distance a run has left the picture for good. */
const ESCAPED_RADIUS = 1e3;

export function descend(options: DescentOptions): DescentResult {
  const { surface, lr, steps, starts, dphi } = options;
  const n = starts.length;
  const xs = Float64Array.from(starts, (p) => p[0]);
  const ys = Float64Array.from(starts, (p) => p[1]);
  const losses = new Float32Array(n);
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  const lastStep = new Float64Array(n);
  const tracked = options.tracked ?? [];
  const paths = tracked.map((i) => [[xs[i], ys[i]] as [number, number]]);
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < n; i++) {
      const e = evaluate(surface, xs[i], ys[i]);
      losses[i] = e.loss;
      gx[i] = e.gx;
      gy[i] = e.gy;
    }
    const scale = dphi ? dphi(losses) : undefined;
    for (let i = 0; i < n; i++) {
      if (!(Math.hypot(xs[i], ys[i]) < ESCAPED_RADIUS)) continue; // frozen once gone (or NaN)
      const s = lr * (scale ? scale[i] : 1);
      xs[i] -= s * gx[i];
      ys[i] -= s * gy[i];
      lastStep[i] = s * Math.hypot(gx[i], gy[i]);
    }
    tracked.forEach((i, k) => paths[k].push([xs[i], ys[i]]));
  }
  const ends = starts.map(([startX, startY], i) => ({
    startX,
    startY,
    x: xs[i],
    y: ys[i],
    loss: evaluate(surface, xs[i], ys[i]).loss,
    outcome: lastStep[i] < SETTLED_STEP ? classify(surface, xs[i], ys[i]) : 'other',
  }));
  return { ends, paths };
}

function classify(surface: ToySurface, x: number, y: number): Outcome {
  const near = (m: ToyMinimum) => Math.hypot(x - m.x, y - m.y) < SETTLED_RADIUS;
  if (near(surface.sharp)) return 'sharp';
  if (near(surface.flat)) return 'flat';
  return 'other';
}

/** A side x side grid over the surface's start box (cell centres, so no start sits on an edge). */
export function startGrid(surface: ToySurface, count: number): Array<[number, number]> {
  const side = Math.max(1, Math.round(Math.sqrt(count)));
  const { xMin, xMax, yMin, yMax } = surface.starts;
  const points: Array<[number, number]> = [];
  for (let j = 0; j < side; j++) {
    for (let i = 0; i < side; i++) {
      points.push([xMin + ((i + 0.5) * (xMax - xMin)) / side, yMin + ((j + 0.5) * (yMax - yMin)) / side]);
    }
  }
  return points;
}
