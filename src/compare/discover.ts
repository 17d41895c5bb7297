// Finds run folders (a folder holding run.json and metrics.csv) under the paths given to compare.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { DataError, UsageError, type VdmError } from '../errors.js';

const runMarkers = ['run.json', 'metrics.csv'] as const;

/**
 * Every run folder under `inputs` (searched recursively), sorted, each once. A folder with only
 * one of the two markers (a run that has not finished an epoch yet, or a damaged one) is an
 * error, or, when `problems` is given, collected there so the caller can go on without it.
 */
export function findRunFolders(inputs: readonly string[], problems?: VdmError[]): string[] {
  if (inputs.length === 0) {
    throw new UsageError('compare needs at least one results folder (a run folder or a folder of runs)');
  }
  // Keyed by real path so one run named two ways (relative, absolute, symlink) counts once.
  const found = new Map<string, string>();
  for (const input of inputs) {
    const stat = statOrNull(input);
    if (stat === null) throw new DataError(`${input}: no such folder`);
    if (!stat.isDirectory()) {
      throw new DataError(`${input}: is a file; expected a run folder or a folder of runs`);
    }
    const runsHere = new Set<string>();
    const problemsBefore = problems?.length ?? 0;
    collectRuns(normalize(input), runsHere, new Set(), problems);
    if (runsHere.size === 0 && (problems?.length ?? 0) === problemsBefore) {
      throw new DataError(`${input}: no run folders found (a run folder holds run.json and metrics.csv)`);
    }
    for (const dir of runsHere) {
      const real = realpathSync(dir);
      if (!found.has(real)) found.set(real, dir);
    }
  }
  return [...found.values()].sort();
}

function collectRuns(dir: string, found: Set<string>, visited: Set<string>, problems: VdmError[] | undefined): void {
  // Symlinked folders can form cycles; the real path identifies a folder once.
  const real = realpathSync(dir);
  if (visited.has(real)) return;
  visited.add(real);
  const entries = readdirSync(dir);
  const markers = runMarkers.filter((name) => entries.includes(name));
  if (markers.length === runMarkers.length) {
    found.add(dir);
    return; // a run folder's subfolders (checkpoints, plots) hold no other runs
  }
  if (markers.length > 0) {
    const missing = runMarkers.find((name) => !entries.includes(name));
    const problem = new DataError(`${dir}: has ${markers[0]} but no ${missing}; not a run folder`);
    if (problems === undefined) throw problem;
    problems.push(problem);
    return;
  }
  for (const name of entries.sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const child = join(dir, name);
    if (statOrNull(child)?.isDirectory()) collectRuns(child, found, visited, problems);
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
