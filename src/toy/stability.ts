// Linear stability of gradient descent at a minimum of phi(L): the Hessian there is phi'(L*)*H,
// so a step lr keeps the minimum only if its curvature is below 2/(lr*phi'(L*)).
import type { ToyMinimum } from './surface.js';

export interface MinimumStability {
  readonly minimum: ToyMinimum['name'];
  readonly loss: number;
  readonly curvature: number;
  /** phi'(L*): 1 for plain gradient descent. */
  readonly scale: number;
  /** Largest curvature that stays stable: 2/(lr*phi'(L*)). */
  readonly curvatureLimit: number;
  readonly stable: boolean;
  /** The learning rate at which this minimum turns unstable: 2/(phi'(L*)*curvature). */
  readonly lrLimit: number;
}

export function stabilityAt(minimum: ToyMinimum, scale: number, lr: number): MinimumStability {
  const curvatureLimit = 2 / (lr * scale);
  return {
    minimum: minimum.name,
    loss: minimum.loss,
    curvature: minimum.curvature,
    scale,
    curvatureLimit,
    stable: minimum.curvature < curvatureLimit,
    lrLimit: 2 / (scale * minimum.curvature),
  };
}
