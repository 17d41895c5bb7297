// The run config's `swa:` block: stochastic weight averaging (Izmailov et al., "Averaging Weights
// Leads to Wider Optima and Better Generalization", UAI 2018), with the learning rate of
// torch.optim.swa_utils.SWALR. Absent: no averaging. Checked with the top level of the config.
import { z } from 'zod';

export const SWA_CITATION = 'Izmailov et al., UAI 2018; lr as torch.optim.swa_utils.SWALR, BatchNorm as update_bn';

export const swaSchema = z
  .object({
    start_epoch: z.number().int().positive().describe('first epoch averaged (at its end); the paper starts at 75% of the budget'),
    lr: z.number().positive().describe('the SWA learning rate annealed to; the paper: 0.05 for ResNet-type nets trained at lr 0.1'),
    anneal_epochs: z.number().int().min(0).max(100_000).default(10).describe('averaged epochs from the scheduled lr to lr, one SWALR step after each (SWALR default 10)'),
    anneal_strategy: z.enum(['cos', 'linear']).default('cos').describe('shape of the annealing (SWALR default cos)'),
  })
  .strict();

export type SwaConfig = z.infer<typeof swaSchema>;

/** What `vdm list` shows: each key's default, or what the paper chose where the key is required. */
export const swaDefaults: readonly { key: keyof SwaConfig; value: string }[] = [
  { key: 'start_epoch', value: 'required (paper: 75% of epochs)' },
  { key: 'lr', value: 'required (paper: 0.05 for ResNets at base lr 0.1)' },
  { key: 'anneal_epochs', value: '10' },
  { key: 'anneal_strategy', value: 'cos' },
];
