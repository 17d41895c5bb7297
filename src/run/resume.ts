// When a run folder can be continued: an unfinished run with a checkpoint, made from the same
// resolved config (anything else would mix two experiments in one CSV).
import { parse } from 'yaml';
import { toPlainConfig, type RunConfig } from '../config/index.js';
import { CONFIG_LIMITS } from '../config/sourced.js';
import { FileRefusedError, UsageError } from '../errors.js';
import { readBoundedText } from '../files/boundedRead.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import type { RunFolder, RunState } from './runFolder.js';

/** Interrupted, crashed (still 'running') or failed runs can go on; diverged ones would diverge again. */
export function canResume(folder: RunFolder, state: RunState): boolean {
  if (state.kind !== 'run') return false;
  const { status } = state;
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

/**
 * Where the results go, what computes them and which checkpoints are kept are not part of the
 * experiment: a moved run folder can still be resumed, checkpoints hold plain arrays, so a run
 * started on wasm can go on on webgpu, and keep_last/best may change between resumes.
 */
const PLACEMENT_KEYS = new Set(['output', 'backend', 'checkpoint']);

function withoutPlacement(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return Object.fromEntries(Object.entries(config).filter(([key]) => !PLACEMENT_KEYS.has(key)));
}

export function assertSameConfig(folder: RunFolder, config: RunConfig): void {
  let saved: unknown;
  try {
    // Bounded as any config, and with the same alias limit: a YAML bomb is refused, not expanded.
    saved = parse(readBoundedText(folder.configYaml, { maxBytes: CONFIG_LIMITS.fileBytes, what: 'config.yaml' }), { maxAliasCount: CONFIG_LIMITS.aliases });
  } catch (error) {
    if (error instanceof FileRefusedError) throw error;
    const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
    throw new UsageError(`cannot resume ${folder.dir}: its config.yaml cannot be read (${cause}); pass --force to start the run over`);
  }
  const key = firstDifference(withoutPlacement(saved), withoutPlacement(toPlainConfig(config)));
  if (key === undefined) return;
  throw new UsageError(`cannot resume ${folder.dir}: its config.yaml differs from this config at '${key}'; pass --force to start the run over`);
}
