// Reads one run folder (run.json, config.yaml, metrics.csv, optional flatness.json and steps.csv) into a RunRecord.
// Only reads: compare never writes into a run folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { DataError, VdmError, asFileSystemError } from '../errors.js';
import { MiB, readBoundedText, type ReadLimit } from '../files/boundedRead.js';
import { scaleLossCorrelationOfCsv } from '../records/scaleLossCorrelation.js';
import { flattenObject } from './flatten.js';
import { parseMetricsCsv } from './metricsCsv.js';
import { runStatuses, type RunInfo, type RunRecord } from './types.js';

/** What each file of a run can really hold; anything larger, or not a regular file, is refused. */
const LIMITS = {
  runJson: { maxBytes: 4 * MiB, what: 'run.json' },
  config: { maxBytes: MiB, what: 'config.yaml' },
  metrics: { maxBytes: 32 * MiB, what: 'metrics.csv' },
  steps: { maxBytes: 256 * MiB, what: 'steps.csv' },
  flatness: { maxBytes: 4 * MiB, what: 'flatness.json' },
  summary: { maxBytes: 4 * MiB, what: 'summary.json' },
} as const satisfies Record<string, ReadLimit>;

/** As for any config: a YAML bomb in a run's config.yaml is refused, not expanded. */
const MAX_ALIASES = 100;

const runJsonSchema = z.looseObject({
  status: z.enum(runStatuses),
  message: z.string().nullish(),
  experiment: z.string().nullish(),
  variant: z.string().nullish(),
  seed: z.number().int().nullish(),
  backend: z.string().nullish(),
  overrides: z.record(z.string(), z.unknown()).nullish(),
});

export function readRunFolder(dir: string): RunRecord {
  const info = readRunInfo(join(dir, 'run.json'));
  const config = readConfig(join(dir, 'config.yaml'));
  const metricsFile = join(dir, 'metrics.csv');
  const metrics = parseMetricsCsv(readText(metricsFile, LIMITS.metrics), metricsFile);
  const flatnessFile = join(dir, 'flatness.json');
  const flatnessJson = existsSync(flatnessFile) ? readFlatness(flatnessFile) : null;
  const stepsFile = join(dir, 'steps.csv');
  const scaleLossCorrelation = existsSync(stepsFile) ? scaleLossCorrelationOfCsv(readText(stepsFile, LIMITS.steps)) : null;
  if (info.seed === null && typeof config.seed === 'number') info.seed = config.seed;
  const summaryFile = join(dir, 'summary.json');
  const summary = existsSync(summaryFile) ? readSummary(summaryFile) : { gradientEvaluations: null, swaTestAcc: null };
  return {
    dir, info, config, metrics: metrics.rows, hasTop5: metrics.hasTop5,
    ...summary,
    flatness: flatnessJson?.figures ?? null, flatnessSettings: flatnessJson?.settings ?? null, scaleLossCorrelation,
  };
}

function readRunInfo(file: string): RunInfo {
  const parsed = runJsonSchema.safeParse(readJson(file, LIMITS.runJson));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new DataError(`${file}: ${path}: ${issue.message}`);
  }
  const value = parsed.data;
  return {
    status: value.status,
    message: value.message ?? null,
    experiment: value.experiment ?? null,
    variant: value.variant ?? null,
    seed: value.seed ?? null,
    backend: value.backend ?? null,
    overrides: value.overrides ?? null,
  };
}

function readConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) {
    throw new DataError(`${file}: missing; a run folder holds the resolved config as config.yaml`);
  }
  let value: unknown;
  try {
    value = parseYaml(readText(file, LIMITS.config), { maxAliasCount: MAX_ALIASES });
  } catch (error) {
    if (error instanceof VdmError) throw error;
    // yaml throws a ReferenceError for an alias bomb ('Excessive alias count'), a YAMLParseError for bad syntax.
    const line = error instanceof YAMLParseError ? error.linePos?.[0].line : undefined;
    const firstLine = (error as Error).message.split('\n')[0];
    throw new DataError(`${file}${line === undefined ? '' : `:${line}`}: not valid YAML (${firstLine})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataError(`${file}: expected a mapping of config keys (model:, dataset:, ...)`);
  }
  return flattenObject(value as Record<string, unknown>);
}

/**
 * summary.json's gradient_evaluations (null in folders from before it was counted, or a run still
 * going) and swa_test_acc (null for a run without SWA, or one that stopped before averaging ended).
 */
function readSummary(file: string): Pick<RunRecord, 'gradientEvaluations' | 'swaTestAcc'> {
  const value = readJson(file, LIMITS.summary);
  const summary = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const count = summary.gradient_evaluations;
  if (count !== undefined && count !== null && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) {
    throw new DataError(`${file}: gradient_evaluations: expected a whole number >= 0, got ${JSON.stringify(count)}`);
  }
  const swa = summary.swa_test_acc;
  if (swa !== undefined && swa !== null && (typeof swa !== 'number' || !(swa >= 0 && swa <= 1))) {
    throw new DataError(`${file}: swa_test_acc: expected a fraction in [0, 1], got ${JSON.stringify(swa)}`);
  }
  return { gradientEvaluations: (count as number | null | undefined) ?? null, swaTestAcc: (swa as number | null | undefined) ?? null };
}

function readFlatness(file: string): { figures: Record<string, number>; settings: Record<string, unknown> | null } {
  const value = readJson(file, LIMITS.flatness);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DataError(`${file}: expected a JSON object of flatness figures`);
  }
  // `settings` says how the figures were measured (vdm flatness writes it): not a figure to compare.
  const { settings, ...figures } = value as Record<string, unknown>;
  const numeric = Object.entries(flattenObject(figures)).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]),
  );
  const isObject = typeof settings === 'object' && settings !== null && !Array.isArray(settings);
  return { figures: Object.fromEntries(numeric), settings: isObject ? flattenObject(settings as Record<string, unknown>) : null };
}

/** A run's file as text; a file-system error names the file (a folder, say, where it should be). */
function readText(file: string, limit: ReadLimit): string {
  try {
    return readBoundedText(file, limit);
  } catch (error) {
    throw asFileSystemError(error, 'read', file);
  }
}

function readJson(file: string, limit: ReadLimit): unknown {
  const text = readText(file, limit);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(`${file}${jsonErrorLine(text, error)}: not valid JSON (${(error as Error).message})`);
  }
}

/** ':N' for the line of a JSON.parse error, whose message gives a character position. */
function jsonErrorLine(text: string, error: unknown): string {
  const position = /position (\d+)/.exec((error as Error).message)?.[1];
  if (position === undefined) return '';
  return `:${text.slice(0, Number(position)).split('\n').length}`;
}
