// When a run folder can be continued: an unfinished run with a checkpoint, made from the same
// resolved config (anything else would mix two experiments in one CSV).
import type { RunConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import type { RunFolder, RunState } from './runFolder.js';
import { compareStoredConfig } from './sameConfig.js';

/** Interrupted, crashed (still 'running') or failed runs can go on; diverged ones would diverge again. */
export function canResume(folder: RunFolder, state: RunState): boolean {
  if (state.kind !== 'run') return false;
  const { status } = state;
  return (status === 'interrupted' || status === 'running' || status === 'failed') && hasCheckpoint(folder.dir);
}

export function assertSameConfig(folder: RunFolder, config: RunConfig): void {
  const stored = compareStoredConfig(folder, config);
  if (stored.kind === 'same') return;
  if (stored.kind === 'different') {
    throw new UsageError(`cannot resume ${folder.dir}: its config.yaml differs from this config at '${stored.key}'; pass --force to start the run over`);
  }
  const cause = stored.kind === 'missing' ? 'ENOENT' : stored.cause;
  throw new UsageError(`cannot resume ${folder.dir}: its config.yaml cannot be read (${cause}); pass --force to start the run over`);
}
