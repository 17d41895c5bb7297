// The `vdm run --on slurm` flags, checked as sbatch would read them, before any script is written
// (sbatch's own refusal would come after the first array is already queued).
import { UsageError } from '../errors.js';
import type { SlurmOptions } from './slurmScripts.js';

/** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED. */
const TIME = /^(\d+-\d+(:\d+){0,2}|\d+(:\d+){0,2}|UNLIMITED|INFINITE)$/i;
/** sbatch --mem: a whole number, megabytes unless K, M, G or T follows. */
const MEMORY = /^\d+[KMGT]?$/i;

export function checkSlurmFlags(options: SlurmOptions): void {
  const fail = (message: string): never => {
    throw new UsageError(message);
  };
  const time = (flag: string, value: string | undefined) => {
    if (value !== undefined && !TIME.test(value)) fail(`${flag} '${value}' is not a Slurm time limit: minutes, HH:MM:SS or D-HH:MM:SS (e.g. 12:00:00, 2-00:00:00)`);
  };
  time('--time', options.time);
  if (options.cpus !== undefined && !/^[1-9]\d*$/.test(String(options.cpus))) {
    fail(`--cpus '${options.cpus}' is not a Slurm CPU count: a whole number >= 1 (millicores such as 500m are for --on k8s)`);
  }
  time('--compare-time', options.compareTime);
  if (options.memory !== undefined && !MEMORY.test(options.memory)) fail(`--memory '${options.memory}' is not a Slurm memory size: a whole number and K, M, G or T (e.g. 16G)`);
  if (options.maxRequeues !== undefined && !(Number.isInteger(options.maxRequeues) && options.maxRequeues >= 0)) {
    fail(`--max-requeues must be a whole number >= 0, got ${options.maxRequeues}`);
  }
  if (options.partition !== undefined && !/^[\w.,-]+$/.test(options.partition)) fail(`--partition '${options.partition}' is not a partition name (or comma-separated list)`);
  const bad = (options.sbatchArgs ?? []).find((arg) => !/^--?[A-Za-z]/.test(arg) || /\n/.test(arg));
  if (bad !== undefined) fail(`--sbatch-arg '${bad}' is not an sbatch option: write it as --sbatch-arg=--account=abc`);
  const empty = (options.setup ?? []).find((line) => line.trim() === '');
  if (empty !== undefined) fail('--setup takes a shell command, e.g. --setup "module load nodejs"');
}
