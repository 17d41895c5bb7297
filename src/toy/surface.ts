// The built-in 2-parameter toy loss: a smooth minimum of two quadratic wells, one sharp and one
// flat, at known loss values and curvatures, so stability thresholds can be predicted exactly.

export interface ToyMinimum {
  readonly name: 'sharp' | 'flat';
  readonly x: number;
  readonly y: number;
  /** Loss at the minimum, L*. */
  readonly loss: number;
  /** Largest Hessian eigenvalue there (the other is given too, for the record). */
  readonly curvature: number;
  readonly minorCurvature: number;
}

/** A well q(p) = loss + (curvature*(x - x0)^2 + minorCurvature*(y - y0)^2)/2. */
function well(m: ToyMinimum, x: number, y: number): { q: number; gx: number; gy: number } {
  const dx = x - m.x;
  const dy = y - m.y;
  return {
    q: m.loss + 0.5 * (m.curvature * dx * dx + m.minorCurvature * dy * dy),
    gx: m.curvature * dx,
    gy: m.minorCurvature * dy,
  };
}

export interface Box {
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
}

export interface ToySurface {
  readonly sharp: ToyMinimum;
  readonly flat: ToyMinimum;
  /** Softness of the minimum of the two wells; small, so each minimum keeps its well's L* and H. */
  readonly temperature: number;
  /** Where starting points are laid out. */
  readonly starts: Box;
  /** What the figure shows. */
  readonly view: Box;
}

export const defaultSurface: ToySurface = {
  sharp: { name: 'sharp', x: 0, y: 0, loss: 0.05, curvature: 15, minorCurvature: 1 },
  flat: { name: 'flat', x: 1.5, y: 0, loss: 0.1, curvature: 1, minorCurvature: 1 },
  temperature: 0.02,
  starts: { xMin: -1, xMax: 0.5, yMin: -1, yMax: 1 },
  view: { xMin: -1.5, xMax: 4, yMin: -2, yMax: 2 },
};

export interface LossAndGradient {
  loss: number;
  gx: number;
  gy: number;
}

/**
 * L = -T*log(exp(-q_sharp/T) + exp(-q_flat/T)): a smooth min of the wells whose gradient is the
 * softmax-weighted mix of theirs. Written around the smaller q so exp never overflows.
 */
export function evaluate(surface: ToySurface, x: number, y: number): LossAndGradient {
  const s = well(surface.sharp, x, y);
  const f = well(surface.flat, x, y);
  const t = surface.temperature;
  const low = Math.min(s.q, f.q);
  const ws = Math.exp(-(s.q - low) / t);
  const wf = Math.exp(-(f.q - low) / t);
  const total = ws + wf;
  return {
    loss: low - t * Math.log(total),
    gx: (ws * s.gx + wf * f.gx) / total,
    gy: (ws * s.gy + wf * f.gy) / total,
  };
}
