// The layout of one run's result folder and the rule that a completed run is never
// overwritten by accident.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { RunStatus } from '../train/hooks.js';
import { readJsonIfPresent } from './files.js';

export interface RunFolder {
  readonly dir: string;
  readonly metricsCsv: string;
  readonly configYaml: string;
  readonly runJson: string;
  readonly summaryJson: string;
}

export interface RunPlacement {
  readonly output: string;
  readonly name: string;
  readonly seed: number;
  /** Inside an experiment: <output>/<experiment>/<variant>/seed-<n>. */
  readonly experiment?: string;
  readonly variant?: string;
}

export function runFolderFor(p: RunPlacement): RunFolder {
  const dir = p.experiment
    ? join(p.output, p.experiment, p.variant ?? p.name, `seed-${p.seed}`)
    : join(p.output, p.name, `seed-${p.seed}`);
  return {
    dir,
    metricsCsv: join(dir, 'metrics.csv'),
    configYaml: join(dir, 'config.yaml'),
    runJson: join(dir, 'run.json'),
    summaryJson: join(dir, 'summary.json'),
  };
}

/** The status recorded in a run folder, if it holds a run. */
export function recordedStatus(folder: RunFolder): RunStatus | undefined {
  return readJsonIfPresent<{ status?: RunStatus }>(folder.runJson)?.status;
}

/** Refuses to go on when the folder holds a completed run and `force` is not set. */
export function assertReplaceable(folder: RunFolder, force: boolean): void {
  if (!force && recordedStatus(folder) === 'completed') {
    throw new UsageError(`${folder.dir} already holds a completed run; pass --force to replace it, or change the name, seed or output`);
  }
}

/**
 * Makes the folder ready for a new run. A completed run is kept unless `force`; an unfinished
 * one (failed, interrupted, diverged) is replaced, since its numbers are not a result.
 */
export function claimRunFolder(folder: RunFolder, force: boolean): void {
  assertReplaceable(folder, force);
  if (existsSync(folder.dir)) rmSync(folder.dir, { recursive: true, force: true });
  mkdirSync(folder.dir, { recursive: true });
}
