// The registries by the config block that names their entries.
import { datasets } from '../datasets/index.js';
import { models } from '../models/index.js';
import { optimizers } from '../optimizers/index.js';
import type { Registry } from '../registry.js';
import { schedules } from '../schedules/index.js';
import { vdms } from '../vdms/index.js';
import type { z } from 'zod';
import type { BlockKind } from './schema.js';

export interface ParameterizedEntry {
  readonly name: string;
  readonly description: string;
  readonly params: z.ZodType<unknown>;
}

export const registriesByBlock: Record<BlockKind, Registry<ParameterizedEntry>> = {
  model: models,
  dataset: datasets,
  optimizer: optimizers,
  schedule: schedules,
  vdm: vdms,
};
