// Runs an experiment's variant x seed grid: completed runs are skipped, and so are runs another
// process is writing; the rest run one after another in this process, or as `vdm run --only`
// child processes when parallel.
import { spawn } from 'node:child_process';
import { readJsonIfPresent } from '../files/boundedRead.js';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InterruptedError, RunBusyError } from '../errors.js';
import { lockHolder } from '../run/lock.js';
import { recordedStatus, runFolderFor } from '../run/runFolder.js';
import { resultOfAnotherConfig } from '../run/sameConfig.js';
import { trainRun } from '../run/trainRun.js';
import { parseEpochLine } from '../train/hooks/progress.js';
import { ExperimentProgress, formatDuration } from './progress.js';
import type { Experiment, ExperimentRun } from './spec.js';

/** skipped: already completed or diverged; busy: another process is writing it now; failed: it failed, or its folder holds another config's result. */
export type RunState = 'completed' | 'skipped' | 'busy' | 'failed';

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

const folderOfRun = (experiment: Experiment, run: ExperimentRun) => runFolderFor({ ...run.config, experiment: experiment.name, variant: run.variant });

/**
 * Why the run's folder holds a finished run that is not this run's result, if it does: its
 * config.yaml says another config (a folder named by an older vdm, or an edited file).
 */
export function otherConfigInFolder(experiment: Experiment, run: ExperimentRun): string | undefined {
  const folder = folderOfRun(experiment, run);
  const status = recordedStatus(folder);
  if (status !== 'completed' && status !== 'diverged') return undefined;
  const other = resultOfAnotherConfig(folder, run.config);
  return other && `${folder.dir} holds a ${status} run of a different config (${other}); --force replaces it`;
}

export function isDone(experiment: Experiment, run: ExperimentRun): boolean {
  return recordedStatus(folderOfRun(experiment, run)) === 'completed' && otherConfigInFolder(experiment, run) === undefined;
}

/** Why a run is not started now (completed, diverged, written by another process, a different config's result), if it is not. */
function reasonToSkip(experiment: Experiment, run: ExperimentRun, force: boolean): RunReport | undefined {
  const folder = folderOf(experiment, run);
  const holder = lockHolder(folder);
  if (holder) return { run, folder, state: 'busy', message: `being written by pid ${holder.pid} on host ${holder.host} since ${holder.started_at}` };
  if (force) return undefined;
  // Never counted as this run's result, never silently replaced: the user decides (--force).
  const other = otherConfigInFolder(experiment, run);
  if (other) return { run, folder, state: 'failed', message: other };
  const status = recordedStatus(folderOfRun(experiment, run));
  // A diverged run would diverge again from the same seed: it is a result, like a completed one.
  if (status === 'completed' || status === 'diverged') return { run, folder, state: 'skipped', message: status };
  return undefined;
}

function logSkip(report: RunReport, log: (line: string) => void): void {
  if (report.state === 'failed') return log(`[${runLabel(report.run)}] not run: ${report.message}`);
  const why = report.state === 'busy' ? `busy: ${report.message}; skipped` : `already ${report.message}; skipped${report.message === 'diverged' ? ' (--force runs it again)' : ''}`;
  log(`[${runLabel(report.run)}] ${why}`);
}

/** Called with each finished epoch of the run (its number and seconds). */
type OnEpoch = (epoch: number, seconds: number) => void;

async function runInProcess(experiment: Experiment, run: ExperimentRun, options: RunnerOptions, onEpoch: OnEpoch): Promise<RunReport> {
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
      command: `vdm run ${experiment.file} (${runLabel(run)})`,
      onEpochEnd: (m) => onEpoch(m.epoch, m.epoch_seconds),
    });
    return { run, folder, state: 'completed' };
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    if (error instanceof RunBusyError) return { run, folder, state: 'busy', message: error.message };
    return { run, folder, state: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

const BIN = fileURLToPath(new URL('../../bin/vdm', import.meta.url));

/** One run in a child `vdm run --only` process, its lines prefixed with the run's label. */
function runInChild(experiment: Experiment, run: ExperimentRun, options: RunnerOptions, onEpoch: OnEpoch): Promise<RunReport> {
  const args = [BIN, 'run', experiment.file, ...experiment.cliArgs, '--only', runLabel(run), '--no-compare', '--seeds', String(run.seed)];
  if (options.force) args.push('--force');
  return new Promise((resolvePromise) => {
    // Share the cores: each of N children gets cores/N wasm threads unless the user chose a count.
    const threads = process.env.VDM_WASM_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / options.parallel)));
    const env = { ...process.env, CI: 'true', VDM_WASM_THREADS: threads };
    // The IPC channel is how the child notices this process is gone, even after a SIGKILL.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
    let lastError = '';
    const relay = (chunk: Buffer, isError: boolean) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        if (isError) lastError = line.replace(/^vdm: error: /, '');
        const epoch = parseEpochLine(line.replace(/^\[[^\]]*\] /, ''));
        if (epoch) onEpoch(epoch.epoch, epoch.seconds);
        options.log(line.startsWith('[') ? line : `[${runLabel(run)}] ${line}`);
      }
    };
    child.stdout!.on('data', (c: Buffer) => relay(c, false));
    child.stderr!.on('data', (c: Buffer) => relay(c, true));
    options.signal?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
    child.on('close', (code) => {
      const folder = folderOf(experiment, run);
      // Another process took the folder between our check and the child's start.
      const holder = lockHolder(folder);
      if (holder) resolvePromise({ run, folder, state: 'busy', message: `being written by pid ${holder.pid} on host ${holder.host}` });
      else resolvePromise(code === 0 ? { run, folder, state: 'completed' } : { run, folder, state: 'failed', message: lastError || `exit code ${code}` });
    });
  });
}

/**
 * In a `vdm run --parallel` child: when the parent goes (even SIGKILLed, its end of the IPC
 * channel closes), stop as after a Ctrl-C, so no run goes on unwatched and its lock is released.
 */
function stopWithParent(): void {
  if (!process.channel) return;
  process.channel.unref(); // the channel alone must not keep this process alive
  let gone = false;
  const parentGone = () => {
    if (gone) return;
    gone = true;
    process.kill(process.pid, 'SIGTERM');
  };
  process.once('disconnect', parentGone);
  // Output to the parent fails (EPIPE) once it is gone, possibly before 'disconnect' arrives.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      parentGone();
    });
  }
}

/** What a run that ended achieved (summary.json), or why it did not. */
function resultOf(report: RunReport, seconds: number): string {
  if (report.state === 'failed') return `failed: ${report.message}`;
  if (report.state === 'busy') return `skipped, ${report.message}`;
  let accuracy: number | null = null;
  try {
    accuracy = readJsonIfPresent<{ final_test_acc?: number | null }>(`${report.folder}/summary.json`)?.final_test_acc ?? null;
  } catch {
    // no summary: say only how long it took
  }
  return `${accuracy === null ? 'finished' : `test acc ${(accuracy * 100).toFixed(2)}%`} in ${formatDuration(seconds)}`;
}

export async function runExperiment(experiment: Experiment, runs: readonly ExperimentRun[], options: RunnerOptions): Promise<RunReport[]> {
  const child = process.channel !== undefined; // a `--parallel` child: its parent shows the progress
  stopWithParent();
  const reports: RunReport[] = [];
  const pending: ExperimentRun[] = [];
  for (const run of runs) {
    const skip = reasonToSkip(experiment, run, options.force);
    if (skip) {
      reports.push(skip);
      logSkip(skip, options.log);
    } else {
      pending.push(run);
    }
  }
  const progress = new ExperimentProgress(pending, runLabel, options.parallel);
  const say = (line: string) => void (child || options.log(line));
  /** Runs one run with its start and end lines, timing it. */
  const tracked = async (run: ExperimentRun, start: typeof runInProcess): Promise<RunReport> => {
    say(progress.start(run));
    const began = performance.now();
    const report = await start(experiment, run, options, (epoch, seconds) => progress.epoch(run, epoch, seconds));
    const seconds = (performance.now() - began) / 1000;
    say(progress.end(run, resultOf(report, seconds), seconds));
    return report;
  };
  if (options.parallel <= 1) {
    for (const run of pending) {
      if (options.signal?.aborted) throw new InterruptedError('experiment interrupted');
      reports.push(await tracked(run, runInProcess));
    }
    return reports;
  }
  // Two waves: a control run (step_matched) reads its source runs' records, so it starts only once
  // every plain run has ended.
  for (const wave of [pending.filter((run) => !run.source), pending.filter((run) => run.source)]) {
    const queue = [...wave];
    const worker = async () => {
      for (let run = queue.shift(); run !== undefined && !options.signal?.aborted; run = queue.shift()) {
        const skip = reasonToSkip(experiment, run, options.force); // it may have started elsewhere meanwhile
        if (skip) {
          logSkip(skip, options.log);
          progress.end(run, 'skipped');
        }
        reports.push(skip ?? (await tracked(run, runInChild)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel, wave.length) }, worker));
    if (options.signal?.aborted) throw new InterruptedError('experiment interrupted');
  }
  return reports;
}
