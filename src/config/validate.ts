// The config boundary: checks a merged config against the top-level schema, the registries and
// each entry's own parameters, and returns a typed RunConfig or throws one located ConfigError.
import { basename, extname } from 'node:path';
import { z } from 'zod';
import { ConfigError, UnknownNameError, type SourceLocation } from '../errors.js';
import { VDM_OPTION_KEYS } from '../vdms/options.js';
import type { VdmOptions } from '../vdms/types.js';
import { describeIssue, issuePath } from './issues.js';
import { registriesByBlock } from './registries.js';
import { schedules } from '../schedules/index.js';
import { assertLooksLikeConfig } from './looksLikeConfig.js';
import { commonBlockSchemas, topLevelSchema, type BlockKind } from './schema.js';
import { swaSchema } from './swa.js';
import { keysOf } from './schemaKeys.js';
import { displayPath, isPlainObject, locate, type ConfigPath, type PlainObject, type Sourced } from './sourced.js';
import type { NamedBlock, RunConfig } from './types.js';

const BLOCKS: readonly BlockKind[] = ['model', 'dataset', 'optimizer', 'schedule', 'vdm'];

/** The object schema of an entry's params, also under a transform (sam resolves its defaults in one). */
class Checker {
  constructor(
    private readonly sourced: Sourced,
    private readonly file: string,
  ) {}

  where(path: ConfigPath): SourceLocation {
    return locate(this.sourced, path, this.file);
  }

  fail(path: ConfigPath, problem: string): never {
    throw new ConfigError(problem, this.where(path));
  }

  /** Parses with a schema; the first issue becomes the error, located under `prefix`. */
  parse<T>(schema: z.ZodType<T>, value: unknown, prefix: ConfigPath, validKeys: readonly string[]): T {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    // An unknown key usually explains the rest (a misspelt required key is also 'missing').
    const issues = [...result.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    const [first, ...others] = issues;
    const more = others.length > 0 ? ` (and ${others.length} more problem${others.length > 1 ? 's' : ''})` : '';
    const path = [...prefix, ...issuePath(first)];
    return this.fail(path, (this.unsetRequired(first, path) ? 'required, so it cannot be unset with null; give it a value' : describeIssue(first, validKeys)) + more);
  }

  /** A required key missing because an override unset it (key=null): only then is it located at an override. */
  private unsetRequired(issue: z.core.$ZodIssue, path: ConfigPath): boolean {
    return issue.code === 'invalid_type' && issue.input === undefined && this.sourced.locations.get(displayPath(path))?.file === '--set';
  }
}

/** Splits a block into the loader's common keys and the entry's own, and validates both. */
function resolveBlock(checker: Checker, kind: BlockKind, block: PlainObject): { common: PlainObject; params: PlainObject } {
  const registry = registriesByBlock[kind];
  const name = String(block.name);
  let entry;
  try {
    entry = registry.get(name);
  } catch (error) {
    if (error instanceof UnknownNameError) checker.fail([kind, 'name'], error.message);
    throw error;
  }
  const commonKeys = keysOf(commonBlockSchemas[kind]);
  const own: PlainObject = {};
  const common: PlainObject = {};
  for (const [key, value] of Object.entries(block)) (commonKeys.includes(key) ? common : own)[key] = value;
  const validKeys = [...commonKeys, ...keysOf(entry.params)];
  const params = checker.parse(entry.params, own, [kind], validKeys) as PlainObject;
  return { common, params };
}

export interface ValidateHooks {
  /** Extra check of a resolved VDM (phi' finite and positive, ...): a problem, or undefined. */
  checkVdm?: (vdm: RunConfig['vdm']) => string | undefined;
}

export function validateConfig(sourced: Sourced, file: string, hooks: ValidateHooks = {}): RunConfig {
  const checker = new Checker(sourced, file);
  assertLooksLikeConfig(sourced, file);
  const top = checker.parse(topLevelSchema, sourced.value, [], ['extends', ...keysOf(topLevelSchema)]);
  const blocks = {} as Record<BlockKind, { common: PlainObject; params: PlainObject }>;
  for (const kind of BLOCKS) {
    const block = top[kind];
    if (!isPlainObject(block)) checker.fail([kind], `expected a mapping with a 'name'`);
    blocks[kind] = resolveBlock(checker, kind, block);
  }
  const named = (kind: BlockKind): NamedBlock => ({ name: String(blocks[kind].common.name), params: blocks[kind].params });
  const { model, dataset, optimizer, schedule, vdm } = top;
  const vdmOptions = Object.fromEntries(VDM_OPTION_KEYS.map((key) => [key, vdm[key]])) as unknown as VdmOptions;
  if (vdmOptions.end_epoch !== undefined && vdmOptions.end_epoch < vdmOptions.start_epoch) {
    checker.fail(['vdm', 'end_epoch'], `end_epoch (${vdmOptions.end_epoch}) is before start_epoch (${vdmOptions.start_epoch})`);
  }
  const swa = top.swa === undefined ? undefined : checker.parse(swaSchema, top.swa, ['swa'], keysOf(swaSchema));
  if (swa && swa.start_epoch > top.epochs) {
    checker.fail(['swa', 'start_epoch'], `start_epoch (${swa.start_epoch}) is after the last epoch (${top.epochs}); SWA would average nothing`);
  }
  const config: RunConfig = {
    name: top.name ?? basename(file, extname(file)),
    seed: top.seed,
    backend: top.backend,
    epochs: top.epochs,
    output: top.output,
    model: { ...named('model'), name: model.name },
    dataset: { ...named('dataset'), batch_size: dataset.batch_size, augment: dataset.augment, subset: dataset.subset },
    optimizer: { ...named('optimizer'), lr: optimizer.lr, weight_decay: optimizer.weight_decay },
    schedule: { ...named('schedule'), warmup_epochs: schedule.warmup_epochs, ...(schedule.stretch === undefined ? {} : { stretch: schedule.stretch }) },
    vdm: { ...named('vdm'), options: vdmOptions },
    logging: top.logging,
    checkpoint: top.checkpoint,
    ...(swa ? { swa } : {}),
    source: file,
  };
  if (config.schedule.stretch !== undefined && schedules.get(config.schedule.name).stretchable === false) {
    checker.fail(['schedule', 'stretch'], `the ${config.schedule.name} schedule replays another run's steps one by one and cannot be stretched; drop stretch`);
  }
  const vdmProblem = hooks.checkVdm?.(config.vdm);
  if (vdmProblem) checker.fail(['vdm'], vdmProblem);
  return config;
}
