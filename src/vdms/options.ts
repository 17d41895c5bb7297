// The options every VDM takes under `vdm:` (whatever its phi), with their defaults and ranges.
import { z } from 'zod';

export const vdmOptionsSchema = z
  .object({
    apply: z
      .enum(['batch', 'sample'])
      .default('batch')
      .describe("'batch': phi of the mean batch loss (the paper's deformation); 'sample': mean of phi per sample"),
    normalize: z
      .enum(['none', 'initial'])
      .default('none')
      .describe("'initial': deform L/L0 and scale back by L0, L0 the first batch loss (as LLR does)"),
    start_epoch: z.number().int().min(1).default(1).describe('first epoch (1-based) with the deformation on'),
    end_epoch: z.number().int().min(1).optional().describe('last epoch with the deformation on (default: to the end)'),
    max_scale: z.number().positive().optional().describe("cap on phi'(L): a guard against blown-up steps"),
    loss_max: z
      .number()
      .positive()
      .optional()
      .describe('largest loss phi is checked over at load time (default 20, or 2 under normalize: initial)'),
  })
  .refine((o) => o.end_epoch === undefined || o.end_epoch >= o.start_epoch, {
    message: 'end_epoch must be at least start_epoch',
    path: ['end_epoch'],
  });

/** The keys under `vdm:` that belong to the options rather than to the entry's own params. */
export const VDM_OPTION_KEYS = ['apply', 'normalize', 'start_epoch', 'end_epoch', 'max_scale', 'loss_max'] as const;

/** Losses the deformation is checked over: L_max as configured, else by normalisation. */
export function checkedLossMax(options: { normalize: 'none' | 'initial'; loss_max?: number }): number {
  return options.loss_max ?? (options.normalize === 'initial' ? 2 : 20);
}
