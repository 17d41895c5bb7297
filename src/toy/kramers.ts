// Kramers' prediction of the mean escape time from the toy surface's sharp minimum under noisy
// (deformed) gradient descent. The model is the simulation's (escape.ts) in its small-step limit.
//
// Simulation: w <- w - d, d <- mu*d + eta*phi'(L)*(grad L + sigma*xi). Over times longer than the
// momentum memory 1/(1 - mu) this is Euler-Maruyama, with time t = steps*eta/(1 - mu), of the Ito
// equation dw = -phi'(L) grad L dt + sqrt(2 T) phi'(L) dW, T = eta*sigma^2/(2(1 - mu)): the noise
// sits on grad L and is scaled by phi' with it, so the diffusion T*phi'^2 depends on the position.
// Its stationary density is p ~ exp(-G(L)/T)/phi'(L)^2 with G(L) = int_{L*}^{L} dl/phi'(l) (the
// zero-flux condition holds because drift and diffusion are functions of L alone); for plain GD,
// G = L and p is Boltzmann's at temperature T (the SGD-noise picture of Xie, Sato & Sugiyama,
// ICLR 2021, with additive isotropic noise). So the deformed barrier that counts is
// dG = G(L_saddle) - G(L*), not d(phi): a phi' > 1 between the minimum and the saddle lowers it.
//
// Two forms of Kramers' (1940) rate are given:
// - harmonic (Langer's multi-dimensional form of the saddle-point approximation):
//   rate = phi'(L*)/(2 pi) * sqrt(h_min*|h_saddle| * h_perp_min/h_perp_saddle) * exp(-dG/T);
//   for plain GD this is the textbook sqrt(h_min*|h_saddle|)/(2 pi) exp(-dL/T).
// - integral (Kramers' flux-over-population before that approximation, the exact mean first-passage
//   time of the 1-D diffusion along the axis through the minima, the transverse direction in local
//   equilibrium): tau = int_{x*}^{x_end} dx [int_{-inf}^{x} rho] / (D rho)(x), rho the marginal of
//   p, (D rho)(x) = T int exp(-G/T) dy. The toy's saddle is a crease (the soft minimum of two
//   wells: curvature about -280 over a width of 0.003), far narrower than thermal widths, so the
//   harmonic form is off by a factor of 3-5 there; the integral form does not assume a
//   parabolic top. It is the one the table compares against.
import { evaluate, type ToySurface } from './surface.js';

/** phi' of a batch of losses (all ones for plain GD). */
export type BatchScale = (losses: Float32Array) => Float32Array;

export interface Barrier {
  /** Where along the axis (0 at the sharp minimum, 1 at the flat one) the path peaks. */
  readonly saddleAt: number;
  readonly saddleLoss: number;
  /** d2L/da2 along the axis at the saddle (negative), per unit of distance. */
  readonly saddleCurvature: number;
  /** d2L/db2 across the axis at the saddle. */
  readonly saddlePerpCurvature: number;
  /** Escape is declared at this axis fraction: halfway from the saddle to the flat minimum. */
  readonly escapeAt: number;
}

/** Axis coordinates: a along sharp -> flat (0 and 1 at the minima), b across (in distance units). */
export function axisPoint(surface: ToySurface, a: number, b: number): [number, number] {
  const { sharp, flat } = surface;
  const ex = flat.x - sharp.x;
  const ey = flat.y - sharp.y;
  const length = Math.hypot(ex, ey);
  return [sharp.x + a * ex - (b * ey) / length, sharp.y + a * ey + (b * ex) / length];
}

const lossAt = (surface: ToySurface, a: number, b: number) => evaluate(surface, ...axisPoint(surface, a, b)).loss;

/** The highest point on the segment between the minima (grid, then golden-section refinement). */
export function findBarrier(surface: ToySurface): Barrier {
  let best = 0;
  const grid = 2000;
  for (let k = 1; k < grid; k++) if (lossAt(surface, k / grid, 0) > lossAt(surface, best / grid, 0)) best = k;
  let lo = (best - 1) / grid;
  let hi = (best + 1) / grid;
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 80; k++) {
    const m1 = hi - ratio * (hi - lo);
    const m2 = lo + ratio * (hi - lo);
    if (lossAt(surface, m1, 0) > lossAt(surface, m2, 0)) hi = m2;
    else lo = m1;
  }
  const at = (lo + hi) / 2;
  const length = Math.hypot(surface.flat.x - surface.sharp.x, surface.flat.y - surface.sharp.y);
  const h = 1e-4;
  const l0 = lossAt(surface, at, 0);
  const along = (lossAt(surface, at + h / length, 0) - 2 * l0 + lossAt(surface, at - h / length, 0)) / (h * h);
  const across = (lossAt(surface, at, h) - 2 * l0 + lossAt(surface, at, -h)) / (h * h);
  return { saddleAt: at, saddleLoss: l0, saddleCurvature: along, saddlePerpCurvature: across, escapeAt: (at + 1) / 2 };
}

export interface KramersPrediction {
  /** Effective temperature T = eta*sigma^2/(2(1 - mu)). */
  readonly temperature: number;
  /** dG = int_{L*}^{L_saddle} dl/phi'(l): dL for plain GD; NaN where phi' <= 0 on the way (flood). */
  readonly barrier: number;
  /**
   * d(phi) = phi(L_saddle) - phi(L*), for comparison only: the barrier of the deformed surface,
   * which would set the rate if the noise were added after the deformation (constant T).
   */
  readonly phiBarrier: number;
  /** Deformed curvatures phi'(L)*L'' at the minimum and the saddle (along the axis). */
  readonly minimumCurvature: number;
  readonly saddleCurvature: number;
  readonly scaleAtMinimum: number;
  readonly scaleAtSaddle: number;
  /** Mean escape time in steps: harmonic and integral forms (NaN where phi' <= 0 on the way). */
  readonly harmonicSteps: number;
  readonly integralSteps: number;
  /**
   * eta*phi'(L*)*h_min/(1 - mu)^2: the small-step and overdamped limits both need it small
   * (the step against the well's curvature, and the momentum memory against the well's
   * relaxation time). About 0.1 or less keeps the law within 10-20% on this surface.
   */
  readonly stepCheck: number;
}

export interface NoiseSettings {
  readonly lr: number;
  readonly sigma: number;
  readonly momentum: number;
}

export function temperatureOf({ lr, sigma, momentum }: NoiseSettings): number {
  return (lr * sigma * sigma) / (2 * (1 - momentum));
}

const TABLE_SIZE = 4096;
const ALONG_POINTS = 800;
const ACROSS_POINTS = 81;

export function predictEscape(surface: ToySurface, barrier: Barrier, dphi: BatchScale, noise: NoiseSettings): KramersPrediction {
  const T = temperatureOf(noise);
  const { sharp } = surface;
  const length = Math.hypot(surface.flat.x - sharp.x, surface.flat.y - sharp.y);
  const [scaleMin, scaleSaddle] = dphi(Float32Array.of(sharp.loss, barrier.saddleLoss));
  // Grid over the axis from one distance behind the sharp minimum (its well is long empty there)
  // to the escape line, and across it over 8 thermal widths of the widest transverse well.
  const aLow = -1;
  const perp = Math.min(sharp.minorCurvature, barrier.saddlePerpCurvature);
  const halfWidth = 8 * Math.sqrt((T * Math.max(scaleMin, scaleSaddle, 1)) / perp) / length;
  const da = (barrier.escapeAt - aLow) / ALONG_POINTS;
  const db = (2 * halfWidth * length) / (ACROSS_POINTS - 1);
  const losses = new Float32Array((ALONG_POINTS + 1) * ACROSS_POINTS);
  const lossesF64 = new Float64Array(losses.length);
  for (let i = 0; i <= ALONG_POINTS; i++) {
    for (let j = 0; j < ACROSS_POINTS; j++) {
      const l = lossAt(surface, aLow + i * da, -halfWidth * length + j * db);
      lossesF64[i * ACROSS_POINTS + j] = l;
      losses[i * ACROSS_POINTS + j] = l;
    }
  }
  let top = barrier.saddleLoss;
  for (const l of lossesF64) if (l > top) top = l;
  const table = antiderivativeOfInverse(dphi, sharp.loss, top);
  const scales = dphi(losses);
  const harmonicPrefactor = (scaleMin / (2 * Math.PI)) * Math.sqrt(sharp.curvature * Math.abs(barrier.saddleCurvature) * (sharp.minorCurvature / barrier.saddlePerpCurvature));
  const dG = table.at(barrier.saddleLoss);
  const rho = new Float64Array(ALONG_POINTS + 1);
  const drho = new Float64Array(ALONG_POINTS + 1);
  let positive = scaleMin > 0 && scaleSaddle > 0 && Number.isFinite(dG);
  for (let i = 0; i <= ALONG_POINTS; i++) {
    for (let j = 0; j < ACROSS_POINTS; j++) {
      const k = i * ACROSS_POINTS + j;
      const boltzmann = Math.exp(-table.at(lossesF64[k]) / T);
      if (!(scales[k] > 0)) positive = false;
      rho[i] += (boltzmann / (scales[k] * scales[k])) * db;
      drho[i] += T * boltzmann * db;
    }
  }
  // tau = int_{a*}^{a_end} C(a)/(D rho)(a) da, with C the cumulative of rho; distances in surface
  // units (da * length), so the continuous time matches the gradient's units.
  let cumulative = 0;
  let tau = 0;
  const start = Math.round((0 - aLow) / da);
  for (let i = 0; i <= ALONG_POINTS; i++) {
    const w = i === 0 || i === ALONG_POINTS ? 0.5 : 1;
    cumulative += w * rho[i] * da * length;
    if (i >= start) tau += ((i === start || i === ALONG_POINTS ? 0.5 : 1) * cumulative * da * length) / drho[i];
  }
  const timePerStep = noise.lr / (1 - noise.momentum);
  // No noise, no escape: gradient descent started in the minimum stays there.
  const never = T === 0 ? Infinity : undefined;
  return {
    temperature: T,
    barrier: positive ? dG : NaN,
    phiBarrier: table.phiAt(barrier.saddleLoss),
    minimumCurvature: scaleMin * sharp.curvature,
    saddleCurvature: scaleSaddle * barrier.saddleCurvature,
    scaleAtMinimum: scaleMin,
    scaleAtSaddle: scaleSaddle,
    harmonicSteps: never ?? (positive ? 1 / (harmonicPrefactor * Math.exp(-dG / T)) / timePerStep : NaN),
    integralSteps: never ?? (positive ? tau / timePerStep : NaN),
    stepCheck: (noise.lr * scaleMin * sharp.curvature) / (1 - noise.momentum) ** 2,
  };
}

/**
 * G(L) = int_{from}^{L} dl/phi'(l) (and phi(L) - phi(from) = int phi') tabulated by the trapezoid
 * rule and read by linear interpolation.
 */
function antiderivativeOfInverse(dphi: BatchScale, from: number, to: number): { at(loss: number): number; phiAt(loss: number): number } {
  const step = (to - from) / (TABLE_SIZE - 1);
  const grid = new Float32Array(TABLE_SIZE);
  for (let k = 0; k < TABLE_SIZE; k++) grid[k] = from + k * step;
  const scales = dphi(grid);
  const inverse = new Float64Array(TABLE_SIZE);
  const direct = new Float64Array(TABLE_SIZE);
  for (let k = 1; k < TABLE_SIZE; k++) {
    inverse[k] = inverse[k - 1] + (step * (1 / scales[k - 1] + 1 / scales[k])) / 2;
    direct[k] = direct[k - 1] + (step * (scales[k - 1] + scales[k])) / 2;
  }
  const read = (values: Float64Array, below: number) => (loss: number) => {
    const position = (loss - from) / step;
    if (position <= 0) return position * step * below;
    const k = Math.min(TABLE_SIZE - 2, Math.floor(position));
    return values[k] + (position - k) * (values[k + 1] - values[k]);
  };
  return { at: read(inverse, 1 / scales[0]), phiAt: read(direct, scales[0]) };
}
