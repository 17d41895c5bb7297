// Experiment files: a base config, named variants (overrides of it), seeds, and which variant is
// the baseline. Two spellings, one meaning:
//   - a standalone file:  experiment: <name>, base: <run config>, seeds, baseline, variants
//   - a run config with an `experiment:` block (seeds, baseline, variants; name optional)
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { z } from 'zod';
import { nameFromOverrides, validateSourced, type RunConfig } from '../config/index.js';
import { describeIssue, issuePath } from '../config/issues.js';
import { loadWithExtends } from '../config/load.js';
import { applyOverrideSet } from '../config/overrideSet.js';
import { chosenName, parseOverrideWord, type OverrideEntry } from '../config/overrides.js';
import { displayPath, isPlainObject, locate, mergeSourced, type ConfigPath, type PlainObject, type Sourced } from '../config/sourced.js';
import { ConfigError, UsageError } from '../errors.js';
import { expandVariants, sweepAxes, type SweepAxis } from './sweep.js';
import { controlEntry, controlVariants, type VariantSource } from './controls.js';

const variantName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it names a folder)');

/** Each seed names one run folder: a seed listed twice would be two runs writing one folder. */
const seedList = z
  .array(z.number().int().min(0))
  .min(1)
  .superRefine((seeds, ctx) => {
    const twice = seeds.findIndex((seed, i) => seeds.indexOf(seed) !== i);
    if (twice >= 0) ctx.addIssue({ code: 'custom', path: [twice], message: `seed ${seeds[twice]} is listed twice; each seed is one run` });
  });

const experimentBlock = z
  .object({
    seeds: seedList.default([1]),
    baseline: z.string().optional(),
    variants: z.record(variantName, z.record(z.string(), z.unknown()).nullable()),
    /** Key path -> values: each non-baseline variant once per combination (src/experiments/sweep.ts). */
    sweep: z.record(z.string(), z.array(z.unknown())).optional(),
    /** Extra runs that separate a VDM's effects (src/experiments/controls.ts). */
    controls: z.array(controlEntry).default([]),
    // Settings of `vdm run --evidence` (src/evidence/settings.ts checks them).
    evidence: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const standaloneFile = experimentBlock.extend({ experiment: variantName, base: z.string().min(1), output: z.string().min(1).optional() }).strict();

export interface ExperimentRun {
  readonly variant: string;
  readonly seed: number;
  /** What the variant declares on top of the base config ({} for the baseline). */
  readonly overrides: PlainObject;
  readonly config: RunConfig;
  /** A control's source run (same seed): the run it is the control of. */
  readonly source?: ExperimentRun;
  /** A control's every run whose record it reads (its source's other seeds too): all must have completed before it starts. */
  readonly reads?: readonly ExperimentRun[];
}

export interface Experiment {
  readonly name: string;
  readonly file: string;
  readonly baseline: string;
  readonly variants: readonly string[];
  readonly seeds: readonly number[];
  /** Every variant x seed, variant-major in file order; control runs (after their sources) last. */
  readonly runs: readonly ExperimentRun[];
  /** <output>/<experiment>: where the runs and the comparison go. */
  readonly root: string;
  /** The `evidence:` block, unchecked (src/evidence checks it), and where it is written. */
  readonly evidence?: { readonly values: Record<string, unknown>; readonly path: string };
  /** The command-line overrides, sweeps and name, as arguments a child or scheduler task repeats. */
  readonly cliArgs: readonly string[];
  /** What the user should know about the plan: controls left out and why (vdm run prints them). */
  readonly notes: readonly string[];
}

/** What `vdm run` adds to the file: overrides of every run, sweeps, and a name for the experiment. */
export interface ExperimentOptions {
  readonly seeds?: readonly number[];
  /** `key=value` words, applied on top of every variant; they rename the experiment (config/runName.ts). */
  readonly overrides?: readonly string[];
  /** `--sweep key=v1,v2` flags. */
  readonly sweeps?: readonly string[];
  /** `--name`: the experiment's name instead of the file's or the overrides'. */
  readonly name?: string;
}

/** The part of a sourced tree under `prefix`, with its locations re-keyed to paths below it. */
function subtree(sourced: Sourced, prefix: ConfigPath): Sourced {
  const key = displayPath(prefix);
  const value = prefix.reduce<unknown>((node, part) => (node as PlainObject)[part as string], sourced.value);
  const locations = new Map(
    [...sourced.locations].filter(([k]) => k.startsWith(`${key}.`)).map(([k, loc]) => [k.slice(key.length + 1), { ...loc, path: k }]),
  );
  return { value: (value ?? {}) as PlainObject, locations };
}

function parseBlock<T>(schema: z.ZodType<T>, sourced: Sourced, value: unknown, prefix: ConfigPath, file: string): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [...prefix, ...issuePath(issue)];
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  throw new ConfigError(describeIssue(issue, keys), locate(sourced, path, file));
}

/** `seed=N` on `vdm run` would be replaced by the experiment's seeds: refused with what to write. */
function checkSeedOverride(entries: readonly OverrideEntry[]): void {
  const seed = entries.find((e) => e.key === 'seed');
  if (seed) throw new UsageError(`seed=${seed.unset ? 'null' : JSON.stringify(seed.value)}: an experiment runs its seeds (seeds: in the file); choose them with --seeds ${seed.unset ? '1,2,3' : String(seed.value)}`);
}

/** A key both swept and overridden (or one inside the other) has no one meaning. */
function checkSweptNotOverridden(axes: readonly SweepAxis[], entries: readonly OverrideEntry[]): void {
  const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  const swept = axes.find((axis) => entries.some((e) => overlaps(axis.key, e.key)));
  if (swept) throw new UsageError(`${swept.key} is both swept and overridden; drop one of them`);
}

/**
 * The experiment's name under command-line overrides (config/runName.ts), from its declared
 * variants before any sweep: a sweep adds variants inside the same experiment folder, beside
 * the baseline it is compared with.
 */
function nameUnderOverrides(name: string, variants: readonly Sourced[], entries: readonly OverrideEntry[], file: string): string {
  if (entries.length === 0) return name;
  return nameFromOverrides(name, variants.map((before) => ({ before, after: applyOverrideSet(before, entries) })), entries, file);
}

/** Whether a YAML file is an experiment (standalone, or a run config with an experiment block). */
export function isExperimentFile(sourced: Sourced): boolean {
  return 'experiment' in sourced.value;
}

export function loadExperiment(file: string, options: ExperimentOptions = {}): Experiment {
  const own = loadWithExtends(file);
  const standalone = typeof own.value.experiment === 'string';
  let base: Sourced;
  let spec: z.infer<typeof experimentBlock>;
  let name: string;
  let blockPrefix: ConfigPath;
  if (standalone) {
    const parsed = parseBlock(standaloneFile, own, own.value, [], file);
    base = loadWithExtends(resolve(dirname(file), parsed.base));
    if (parsed.output) base = mergeSourced(base, { value: { output: parsed.output }, locations: new Map([['output', locate(own, ['output'], file)]]) });
    ({ experiment: name } = parsed);
    spec = parsed;
    blockPrefix = [];
  } else {
    if (own.value.experiment === undefined) {
      throw new ConfigError(
        'this is a run config without an experiment: add an `experiment:` block (seeds, baseline, variants), or train it with `vdm train`',
        { file, path: 'experiment' },
      );
    }
    if (!isPlainObject(own.value.experiment)) {
      throw new ConfigError('expected the name of the experiment (standalone file) or a mapping with seeds, baseline and variants', locate(own, ['experiment'], file));
    }
    const { experiment: block, ...config } = own.value;
    spec = parseBlock(experimentBlock.extend({ name: variantName.optional() }).strict(), own, block, ['experiment'], file);
    base = { value: config, locations: own.locations };
    // Default: the run config's own name, else (as for `vdm train`) the file's.
    name = ((block as PlainObject).name as string | undefined) ?? (config.name as string | undefined) ?? basename(file, extname(file));
    blockPrefix = ['experiment'];
  }
  const variants = Object.keys(spec.variants);
  if (variants.length === 0) throw new ConfigError('an experiment needs at least one variant', locate(own, [...blockPrefix, 'variants'], file));
  const baseline = spec.baseline ?? (variants.includes('baseline') ? 'baseline' : variants[0]);
  if (!variants.includes(baseline)) {
    throw new ConfigError(`baseline '${baseline}' is not one of the variants (${variants.join(', ')})`, locate(own, [...blockPrefix, 'baseline'], file));
  }
  const seeds = options.seeds ?? spec.seeds;
  const twice = seeds.find((seed, i) => seeds.indexOf(seed) !== i);
  if (twice !== undefined) throw new UsageError(`--seeds lists seed ${twice} twice; each seed is one run`);
  const overrides = options.overrides ?? [];
  const entries = overrides.map((word) => parseOverrideWord(word));
  checkSeedOverride(entries);
  const declared = (variant: string) => subtree(own, [...blockPrefix, 'variants', variant]);
  const named = options.name ?? chosenName(entries) ?? nameUnderOverrides(name, variants.map((v) => mergeSourced(base, declared(v))), entries, file);
  const axes = sweepAxes(spec.sweep, (key) => locate(own, [...blockPrefix, 'sweep', key], file), options.sweeps ?? []);
  checkSweptNotOverridden(axes, entries);
  const planned = expandVariants(variants.map((v) => ({ name: v, declared: declared(v) })), baseline, axes);
  const expand = (variant: string, merged: Sourced, overrides: PlainObject, perSeed = (_seed: number): PlainObject => ({})): ExperimentRun[] =>
    seeds.map((seed) => {
      const withSeed = mergeSourced(merged, { value: { ...perSeed(seed), seed, name: named }, locations: new Map() });
      return { variant, seed, overrides, config: validateSourced(withSeed, file) };
    });
  const sources: (VariantSource & { runs: ExperimentRun[] })[] = planned.variants.map(({ name: variant, declared: tree, settings }) => {
    // The sweep's settings and the command line's overrides as one set over base + variant.
    const merged = applyOverrideSet(mergeSourced(base, tree), [...entries, ...settings]);
    // What the variant declares, as shown and recorded: an unset swept key reads null.
    const shown = applyOverrideSet(tree, settings.map((s) => (s.unset ? { ...s, unset: false, value: null } : s))).value;
    const runs = expand(variant, merged, shown);
    return { variant, merged, overrides: shown, config: runs[0].config, runs };
  });
  const runs = sources.flatMap((source) => source.runs);
  const experimentName = runs[0].config.name;
  // Controls come after every plain run: task numbers of the plain runs do not depend on them,
  // and a runner going down the list in order meets each control after its source.
  const plan = controlVariants(spec.controls, sources, {
    file, experiment: experimentName, baseline: planned.baseline, seeds, own, controlsPath: [...blockPrefix, 'controls'],
  });
  const controls = plan.variants.flatMap((control) =>
    expand(control.variant, control.merged, control.overrides, control.perSeed).map((run): ExperimentRun => {
      // A control that reads no records (compute_matched) is an ordinary run, after the others.
      if (!control.readsSource) return run;
      const read = new Set((run.config.vdm.params as { seeds: number[] }).seeds);
      return {
        ...run,
        source: runs.find((r) => r.variant === control.source && r.seed === run.seed),
        reads: runs.filter((r) => r.variant === control.source && read.has(r.seed)),
      };
    }),
  );
  const all = [...runs, ...controls];
  const output = runs[0].config.output;
  const evidence = spec.evidence && { values: spec.evidence, path: [...blockPrefix, 'evidence'].join('.') };
  const cliArgs = [...overrides.flatMap((o) => ['--set', o]), ...(options.sweeps ?? []).flatMap((s) => ['--sweep', s]), ...(options.name ? ['--name', options.name] : [])];
  return {
    name: experimentName,
    file,
    baseline: planned.baseline,
    variants: [...planned.variants.map((v) => v.name), ...new Set(controls.map((r) => r.variant))],
    seeds,
    runs: all,
    root: resolve(output, experimentName),
    cliArgs,
    evidence,
    notes: plan.notes,
  };
}

/**
 * Scheduler task numbering: task i is runs[i], i.e. variants in file order x seeds in file order.
 * A job array is written once and its tasks start later, so this order must never depend on
 * anything but the file (no sorting, no filtering by what is already done).
 */
export function experimentTasks(experiment: Experiment): readonly { readonly task: number; readonly run: ExperimentRun }[] {
  return experiment.runs.map((run, task) => ({ task, run }));
}

/** The run behind task `task`; a bad index names the valid range. */
export function runForTask(experiment: Experiment, task: number): ExperimentRun {
  const run = Number.isInteger(task) ? experiment.runs[task] : undefined;
  if (run === undefined) {
    throw new UsageError(`--task ${Number.isNaN(task) ? 'takes a whole number' : task}: experiment ${experiment.name} has tasks 0-${experiment.runs.length - 1} (see vdm run --dry-run)`);
  }
  return run;
}

/** A command input as a result folder: an experiment file stands for <output>/<experiment>. */
export function resultFolderOf(input: string): string {
  const isFile = existsSync(input) && statSync(input).isFile();
  return isFile && /\.ya?ml$/.test(input) ? loadExperiment(input).root : input;
}
