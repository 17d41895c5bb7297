// The layout of one run's result folder, what it holds, and the rule that no run in it is
// overwritten by accident.
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileRefusedError, UsageError } from '../errors.js';
import { MiB, readBoundedText } from '../files/boundedRead.js';
import type { RunStatus } from '../train/hooks.js';
import { LOCK_FILE } from './lock.js';

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

/** What a run folder holds, read before anything is written into it. */
export type RunState =
  | { readonly kind: 'empty' }
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'run'; readonly status: RunStatus };

/** run.json: facts and the command line, a few KiB; the data set's facts can list many files. */
export const RUN_JSON_LIMIT = { maxBytes: 4 * MiB, what: 'run.json' } as const;

const runStatuses: readonly RunStatus[] = ['running', 'completed', 'failed', 'interrupted', 'diverged'];

/**
 * A run folder's state. A run.json that cannot be read or parsed makes the state unknown, not
 * empty: treating it as empty would let a completed run be deleted.
 */
export function readRunState(folder: RunFolder): RunState {
  let text: string;
  try {
    text = readBoundedText(folder.runJson, RUN_JSON_LIMIT);
  } catch (error) {
    if (error instanceof FileRefusedError) throw error; // a FIFO or /dev/zero: named, not 'unknown state'
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return { kind: 'unreadable', reason: `run.json cannot be read (${code ?? String(error)})` };
    // Results without a record (a crash before run.json was written) are still not ours to drop.
    const entries = existsSync(folder.dir) ? readdirSync(folder.dir) : [];
    const results = entries.some((name) => name === 'metrics.csv' || name.startsWith('checkpoint'));
    return results ? { kind: 'unreadable', reason: 'it has results but no run.json' } : { kind: 'empty' };
  }
  let status: unknown;
  try {
    status = (JSON.parse(text) as { status?: unknown } | null)?.status;
  } catch {
    return { kind: 'unreadable', reason: 'run.json is not valid JSON' };
  }
  if (!runStatuses.includes(status as RunStatus)) return { kind: 'unreadable', reason: `run.json has no known status (got ${JSON.stringify(status) ?? 'none'})` };
  return { kind: 'run', status: status as RunStatus };
}

/** The status recorded in a run folder, if it holds a readable run. */
export function recordedStatus(folder: RunFolder): RunStatus | undefined {
  const state = readRunState(folder);
  return state.kind === 'run' ? state.status : undefined;
}

/**
 * Refuses to start a run over one that the folder already holds, unless `force`: a completed
 * run is a result, an unfinished one can be resumed, and one of unknown state may be either.
 */
export function assertStartable(folder: RunFolder, state: RunState, force: boolean, resumable: boolean): void {
  if (force || state.kind === 'empty') return;
  if (state.kind === 'unreadable') {
    throw new UsageError(`${folder.dir} holds a run of unknown state (${state.reason}); pass --force to replace it, or change the name, seed or output`);
  }
  if (state.status === 'completed') {
    throw new UsageError(`${folder.dir} already holds a completed run; pass --force to replace it, or change the name, seed or output`);
  }
  const how = resumable ? 'pass --resume to continue it, or --force to start over' : 'it has no checkpoint to resume from; pass --force to start over';
  // Whoever checks holds the lock, so a run still marked running has lost its process.
  const status = state.status === 'running' ? 'running, but its process is gone' : state.status;
  throw new UsageError(`${folder.dir} holds an unfinished run (status ${status}); ${how}`);
}

/**
 * The names vdm writes in a run folder: the run's record and results, its checkpoints, what
 * flatness, landscape and export add, and the temporaries of each. Only these are ever removed.
 */
const VDM_FILES = new Set([
  'run.json', 'summary.json', 'config.yaml', 'metrics.csv', 'steps.csv', 'log.txt', 'tb',
  'checkpoint.json', 'best.json', 'checkpoint', 'flatness.json', 'landscape', 'model.safetensors',
  'flatness-swa.json', 'model-swa.safetensors',
]);
const VDM_PATTERNS = [/^checkpoint-\d{6,}$/, /\.(?:tmp|old|new|stale)-\d+$/];

export function isVdmFile(name: string): boolean {
  return VDM_FILES.has(name) || VDM_PATTERNS.some((pattern) => pattern.test(name));
}

/**
 * Refuses a folder where one of vdm's own names is a symbolic link (log.txt -> ~/.bashrc): a
 * resume appends to those files, and nothing is written through a link. Checked before any write.
 */
export function assertNoLinks(folder: RunFolder): void {
  for (const name of readdirSync(folder.dir).sort()) {
    if (!isVdmFile(name)) continue;
    const path = join(folder.dir, name);
    if (lstatSync(path).isSymbolicLink()) {
      throw new FileRefusedError(path, 'is a symbolic link; vdm does not write through links (remove it, or pass --force to start the run over)');
    }
  }
}

/** What claiming a folder did: the vdm files it removed and the other entries it left alone. */
export interface Claim {
  readonly removed: readonly string[];
  readonly kept: readonly string[];
}

/**
 * Clears the (locked) folder for a new run: removes what an earlier run of vdm wrote there and
 * nothing else. Files the user put beside a run (notes.txt, data/) stay, whatever --force says.
 */
export function claimRunFolder(folder: RunFolder): Claim {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const name of readdirSync(folder.dir).sort()) {
    if (name === LOCK_FILE) continue;
    if (!isVdmFile(name)) {
      kept.push(name);
      continue;
    }
    rmSync(join(folder.dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return { removed, kept };
}

/** The line that says what claiming a folder removed and kept, when it touched anything. */
export function describeClaim(folder: RunFolder, claim: Claim): string | undefined {
  if (claim.removed.length === 0) return undefined;
  const kept = claim.kept.length === 0 ? '' : `; kept ${claim.kept.join(', ')} (not written by vdm)`;
  return `replaced the earlier run in ${folder.dir}: removed ${claim.removed.join(', ')}${kept}`;
}
