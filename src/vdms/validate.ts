// The load-time check of a resolved VDM: phi' must keep the descent direction, not kill or blow
// up the step over the losses phi will see, and the entry's dphi must agree with autodiff of phi.
import * as tf from '@tensorflow/tfjs';
import { onCpuBackend } from '../backend/cpuScope.js';
import { checkedLossMax } from './options.js';
import type { VdmSpec } from './types.js';

/** Points on [0, L_max]: dense enough to catch a sign change of phi' between neighbours. */
const GRID_POINTS = 2001;
/** Below this, a step is as good as killed. */
export const MIN_SCALE = 1e-4;
/** Above this (without max_scale), one step is as good as a blow-up. */
export const MAX_SCALE = 1e4;
/** dphi and autodiff both run in float32. */
const AGREEMENT_TOLERANCE = 1e-2;

interface Samples {
  losses: Float32Array;
  dphi: Float32Array;
  autodiff: Float32Array;
  phi: Float32Array;
}

/** A one-line problem with the spec, or undefined when it is fine to train with. */
export function checkDeformation(spec: VdmSpec): string | undefined {
  if (spec.entry.name === 'none') return undefined;
  const lossMax = checkedLossMax(spec.options);
  const range = `[0, ${formatNumber(lossMax)}]`;
  const samples = sample(spec, lossMax);
  const breakpoints = spec.entry.breakpoints?.(spec.params) ?? [];
  const spacing = lossMax / (GRID_POINTS - 1);
  for (let i = 0; i < samples.losses.length; i++) {
    const loss = samples.losses[i];
    const at = `phi'(${formatNumber(loss)}) = ${formatNumber(samples.dphi[i])}`;
    if (!Number.isFinite(samples.phi[i])) {
      return `phi(${formatNumber(loss)}) = ${samples.phi[i]}: phi must be finite over the losses it will see, ${range}`;
    }
    if (loss === 0 && spec.entry.vanishesAtZero) continue;
    const d = samples.dphi[i];
    if (!Number.isFinite(d)) return `${at}: phi' must be finite over the losses it will see, ${range}`;
    // A non-monotone entry (flood) may ascend: deformationNote says so; a vanishing step is still wrong.
    const monotone = spec.entry.monotone !== false;
    if (monotone && !(d > 0)) return `${at}: phi must be strictly increasing (phi' > 0) over the losses it will see, ${range}`;
    // sech's phi' rises from 0 by design; only past its rise is a tiny phi' a killed step.
    const rising = spec.entry.vanishesAtZero && loss < lossMax / 100;
    if (!(Math.abs(d) >= MIN_SCALE) && !rising) {
      return `${at}: the step is killed (${monotone ? "phi'" : "|phi'|"} < ${MIN_SCALE}) at losses it will see, ${range}; change the parameters or normalize`;
    }
    if (Math.abs(d) > MAX_SCALE && spec.options.max_scale === undefined) {
      return `${at}: the step blows up (phi' > ${MAX_SCALE}) at losses it will see, ${range}; set max_scale or change the parameters`;
    }
    const nearBreak = breakpoints.some((b) => Math.abs(loss - b) <= spacing);
    const g = samples.autodiff[i];
    if (!nearBreak && !(Math.abs(g - d) <= AGREEMENT_TOLERANCE * Math.max(Math.abs(d), 1))) {
      return `${at} but autodiff of phi gives ${formatNumber(g)}: the entry's phi' does not match its phi`;
    }
  }
  return undefined;
}

/**
 * What a user should know about a spec that passes the check: for a non-monotone entry (flood),
 * where over the losses it will see phi' < 0 and the step ascends. Undefined when nothing.
 */
export function deformationNote(spec: VdmSpec): string | undefined {
  if (spec.entry.monotone !== false) return undefined;
  const lossMax = checkedLossMax(spec.options);
  const { losses, dphi } = sample(spec, lossMax);
  const ascending = losses.filter((_, i) => dphi[i] < 0);
  const where = ascending.length === 0
    ? `phi' > 0 everywhere on [0, ${formatNumber(lossMax)}] with these parameters`
    : `phi' < 0 for losses up to about ${formatNumber(ascending[ascending.length - 1]!)}, where the step ascends`;
  return `${spec.entry.name} is not monotone (not a VDM in the paper's sense): ${where}; accepted, not refused`;
}

/** phi, the entry's phi' and autodiff's phi' on the grid (gradients outside any tape are fine). */
function sample({ entry, params }: VdmSpec, lossMax: number): Samples {
  // On cpu: the reads below are synchronous, which webgpu cannot do in Node.
  return onCpuBackend(() => tf.tidy(() => {
    const grid = tf.linspace(0, lossMax, GRID_POINTS);
    const autodiff = tf.grad((x: tf.Tensor) => tf.sum(entry.phi(x, params)))(grid);
    return {
      losses: grid.dataSync() as Float32Array,
      phi: entry.phi(grid, params).dataSync() as Float32Array,
      dphi: entry.dphi(grid, params).dataSync() as Float32Array,
      autodiff: autodiff.dataSync() as Float32Array,
    };
  }));
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return Number(x.toPrecision(3)).toString();
}
