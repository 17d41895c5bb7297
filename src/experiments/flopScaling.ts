// Which network `vdm run --dry-run` times for a run: the run's own, or, when that is too big to
// time on this machine in seconds, a smaller member of its family whose step time is scaled by
// the ratio of their forward FLOPs (counted from layer shapes, nothing allocated).
import type { RunConfig } from '../config/types.js';
import { forwardFlops } from '../models/flops.js';
import { models } from '../models/index.js';
import type { ModelSize } from '../models/types.js';

/**
 * Forward FLOPs an image above which the probe times a smaller variant: ResNet-110 and
 * DenseNet-BC-100 (0.5-0.6 GFLOPs) are timed themselves; WRN-28-10 (10.5), DenseNet-BC-190
 * (18.8) and ResNeXt-29 16x64d (21.5) would take minutes a step and gigabytes here.
 */
export const TIME_DIRECTLY_UP_TO_FLOPS = 1.5e9;

export interface ProbePlan {
  /** The config whose steps are timed (the run's, or its model swapped for the variant). */
  readonly timed: RunConfig;
  /** The run's model's forward FLOPs an image; undefined when they could not be counted. */
  readonly flops?: number;
  /** Where a variant is timed: its parameters, its FLOPs, and the factor its times are scaled by. */
  readonly variant?: { readonly params: Record<string, unknown>; readonly flops: number; readonly ratio: number };
  /** Why the FLOPs are unknown, when they are. */
  readonly uncounted?: string;
}

export async function planProbe(config: RunConfig, size: ModelSize): Promise<ProbePlan> {
  const entry = models.get(config.model.name);
  let flops: number;
  try {
    flops = await forwardFlops(entry, config.model.params, size);
  } catch (error) {
    // A layer the shape-only backend lacks: time the run's own network, as before FLOPs were counted.
    return { timed: config, uncounted: (error as Error).message.split('\n')[0] };
  }
  const variantParams = entry.probeParams ?? entry.smallParams;
  if (flops <= TIME_DIRECTLY_UP_TO_FLOPS || variantParams === undefined) return { timed: config, flops };
  const params = entry.params.parse({ ...config.model.params, ...variantParams }) as Record<string, unknown>;
  const variantFlops = await forwardFlops(entry, params, size);
  if (variantFlops >= flops) return { timed: config, flops };
  return { timed: { ...config, model: { name: config.model.name, params } }, flops, variant: { params: variantParams, flops: variantFlops, ratio: flops / variantFlops } };
}
