// The shape of a run config's top level and the keys common to each registry-named block.
// Entry-specific keys are checked afterwards against the entry's own params schema.
import { z } from 'zod';
import { vdmOptionsSchema } from '../vdms/options.js';

/**
 * Upper bounds that no real run reaches but that keep a typo (1e12 for 12) from being taken
 * literally: a run of 100,000 epochs, batches of 65,536 examples.
 */
export const MAX_EPOCHS = 100_000;
export const MAX_BATCH_SIZE = 65_536;
/** More examples than any registered data set has (ImageNet: 1.28 M). */
export const MAX_EXAMPLES = 10_000_000;

const subsetSchema = z
  .object({
    train: z.number().int().positive().max(MAX_EXAMPLES).optional(),
    test: z.number().int().positive().max(MAX_EXAMPLES).optional(),
  })
  .strict();

/** Keys of each named block that the loader owns; every other key belongs to the entry. */
export const commonBlockSchemas = {
  model: z.object({ name: z.string() }),
  dataset: z.object({
    name: z.string(),
    batch_size: z.number().int().positive().max(MAX_BATCH_SIZE).default(128),
    augment: z.enum(['none', 'standard', 'flip']).default('none'),
    subset: subsetSchema.optional(),
  }),
  optimizer: z.object({
    name: z.string(),
    lr: z.number().positive(),
    weight_decay: z.number().min(0).default(0),
  }),
  schedule: z.object({
    name: z.string().default('constant'),
    warmup_epochs: z.number().min(0).max(MAX_EPOCHS).default(0),
    // The compute_matched control trains k times as long on the same schedule, k times slower.
    stretch: z.number().positive().max(MAX_EPOCHS).optional().describe('the schedule and its warm-up stretched along the epoch axis by this factor (milestones at stretch x their epoch); absent: 1'),
  }),
  vdm: z.object({ name: z.string().default('none'), ...vdmOptionsSchema.shape }),
} as const;

export type BlockKind = keyof typeof commonBlockSchemas;

export const topLevelSchema = z
  .object({
    // A run config may carry its own experiment (variants x seeds) for `vdm run`; `vdm train`
    // trains the config as written, and src/experiments/spec.ts validates the block.
    experiment: z.unknown().optional(),
    // ',' and '=' too: a run named after its command-line overrides (quickstart,lr=0.01).
    name: z.string().max(100, 'a run name has at most 100 characters (it names a folder)').regex(/^[A-Za-z0-9][A-Za-z0-9._,=-]*$/, 'use letters, digits, ".", "_", "-", "," and "=" (it names a folder)').optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
    epochs: z.number().int().positive().max(MAX_EPOCHS),
    output: z.string().min(1).default('results'),
    // Loose: the keys beyond the common ones are checked against the named entry's schema.
    model: commonBlockSchemas.model.loose(),
    dataset: commonBlockSchemas.dataset.loose(),
    optimizer: commonBlockSchemas.optimizer.loose(),
    schedule: commonBlockSchemas.schedule.loose().default({ name: 'constant', warmup_epochs: 0 }),
    vdm: commonBlockSchemas.vdm.loose().default({ name: 'none', apply: 'batch', normalize: 'none', start_epoch: 1 }),
    logging: z
      .object({
        steps_every: z.number().int().positive().default(1).describe('write every N-th step to steps.csv'),
        tensorboard: z.boolean().default(true).describe('write TensorBoard event files to tb/'),
      })
      .strict()
      .default({ steps_every: 1, tensorboard: true }),
    checkpoint: z
      .object({
        keep_last: z.number().int().positive().max(MAX_EPOCHS).default(1).describe('keep the newest N epoch checkpoints'),
        best: z.enum(['none', 'test_acc', 'test_loss']).default('none').describe("also keep the best epoch's checkpoint (best.json names it)"),
      })
      .strict()
      .default({ keep_last: 1, best: 'none' }),
    // Checked on its own in validate.ts, so that an unknown key lists swa's keys, not these.
    swa: z.unknown().optional(),
  })
  .strict();
