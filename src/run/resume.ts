// When a run folder can be continued: an unfinished run with a checkpoint, made from the same
// resolved config (anything else would mix two experiments in one CSV).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configToYaml, toPlainConfig, type RunConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { recordedStatus, type RunFolder } from './runFolder.js';

/** Interrupted, crashed (still 'running') or failed runs can go on; diverged ones would diverge again. */
export function canResume(folder: RunFolder): boolean {
  const status = recordedStatus(folder);
  return (status === 'interrupted' || status === 'running' || status === 'failed') && hasCheckpoint(folder.dir);
}

function flatten(value: unknown, prefix = ''): Map<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return new Map([[prefix, JSON.stringify(value)]]);
  return new Map(Object.entries(value).flatMap(([k, v]) => [...flatten(v, prefix ? `${prefix}.${k}` : k)]));
}

/** The first key whose value differs between two configs, if any. */
export function firstDifference(a: unknown, b: unknown): string | undefined {
  const fa = flatten(a);
  const fb = flatten(b);
  return [...new Set([...fa.keys(), ...fb.keys()])].sort().find((key) => fa.get(key) !== fb.get(key));
}

export function assertSameConfig(folder: RunFolder, config: RunConfig): void {
  const saved = readFileSync(folder.configYaml, 'utf8');
  if (saved === configToYaml(config)) return;
  // Checkpoints hold plain arrays, so a run may go on on another backend (e.g. started on wasm, resumed on webgpu).
  if (saved === configToYaml({ ...config, backend: (parse(saved) as { backend?: RunConfig['backend'] }).backend ?? config.backend })) return;
  const key = firstDifference(parse(saved), toPlainConfig(config)) ?? '(formatting)';
  throw new UsageError(`cannot resume ${folder.dir}: its config.yaml differs from this config at '${key}'; pass --force to start the run over`);
}
