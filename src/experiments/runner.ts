// Runs an experiment's variant x seed grid: completed runs are skipped, the rest run one after
// another in this process, or as `vdm run --only` child processes when parallel.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InterruptedError } from '../errors.js';
import { recordedStatus, runFolderFor } from '../run/runFolder.js';
import { trainRun } from '../run/trainRun.js';
import type { Experiment, ExperimentRun } from './spec.js';

export type RunState = 'completed' | 'skipped' | 'failed';

export interface RunReport {
  readonly run: ExperimentRun;
  readonly folder: string;
  readonly state: RunState;
  readonly message?: string;
}

export interface RunnerOptions {
  readonly parallel: number;
  readonly force: boolean;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export const runLabel = (run: ExperimentRun) => `${run.variant}/seed-${run.seed}`;

export function folderOf(experiment: Experiment, run: ExperimentRun): string {
  return runFolderFor({ ...run.config, experiment: experiment.name, variant: run.variant }).dir;
}

export function isDone(experiment: Experiment, run: ExperimentRun): boolean {
  return recordedStatus(runFolderFor({ ...run.config, experiment: experiment.name, variant: run.variant })) === 'completed';
}

async function runInProcess(experiment: Experiment, run: ExperimentRun, options: RunnerOptions): Promise<RunReport> {
  const folder = folderOf(experiment, run);
  try {
    await trainRun({
      config: run.config,
      force: options.force,
      resume: true, // an interrupted experiment picks up where each run stopped
      plain: true,
      log: (line) => options.log(`[${runLabel(run)}] ${line}`),
      signal: options.signal,
      experiment: experiment.name,
      variant: run.variant,
      overrides: run.overrides,
    });
    return { run, folder, state: 'completed' };
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return { run, folder, state: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));

/** One run in a child `vdm run --only` process, its lines prefixed with the run's label. */
function runInChild(experiment: Experiment, run: ExperimentRun, options: RunnerOptions): Promise<RunReport> {
  const args = [BIN, 'run', experiment.file, '--only', runLabel(run), '--no-compare', '--seeds', String(run.seed)];
  if (options.force) args.push('--force');
  return new Promise((resolvePromise) => {
    // Share the cores: each of N children gets cores/N wasm threads unless the user chose a count.
    const threads = process.env.VDM_WASM_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / options.parallel)));
    const env = { ...process.env, CI: 'true', VDM_WASM_THREADS: threads };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let lastError = '';
    const relay = (chunk: Buffer, isError: boolean) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        if (isError) lastError = line.replace(/^vdm: error: /, '');
        options.log(line.startsWith('[') ? line : `[${runLabel(run)}] ${line}`);
      }
    };
    child.stdout.on('data', (c: Buffer) => relay(c, false));
    child.stderr.on('data', (c: Buffer) => relay(c, true));
    options.signal?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
    child.on('close', (code) => {
      const folder = folderOf(experiment, run);
      resolvePromise(code === 0 ? { run, folder, state: 'completed' } : { run, folder, state: 'failed', message: lastError || `exit code ${code}` });
    });
  });
}

export async function runExperiment(experiment: Experiment, runs: readonly ExperimentRun[], options: RunnerOptions): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  const pending: ExperimentRun[] = [];
  for (const run of runs) {
    if (!options.force && isDone(experiment, run)) {
      reports.push({ run, folder: folderOf(experiment, run), state: 'skipped' });
      options.log(`[${runLabel(run)}] already completed; skipped`);
    } else {
      pending.push(run);
    }
  }
  if (options.parallel <= 1) {
    for (const run of pending) {
      if (options.signal?.aborted) throw new InterruptedError('experiment interrupted');
      reports.push(await runInProcess(experiment, run, options));
    }
    return reports;
  }
  const queue = [...pending];
  const worker = async () => {
    for (let run = queue.shift(); run !== undefined && !options.signal?.aborted; run = queue.shift()) {
      reports.push(await runInChild(experiment, run, options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, pending.length) }, worker));
  if (options.signal?.aborted) throw new InterruptedError('experiment interrupted');
  return reports;
}
