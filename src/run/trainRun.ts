// The recipe for one run, shared by `vdm train` and the experiment runner: lock the run folder,
// decide between a fresh start and a resume, build the parts, train with the recording hooks.
import { join } from 'node:path';
import { selectBackend, type BackendReport } from '../backend/resolve.js';
import { describeAdapter } from '../backend/webgpu.js';
import { configToYaml, vdmConfigNote, type RunConfig } from '../config/index.js';
import { ExitCode, FileRefusedError, InterruptedError, UsageError, asFileSystemError } from '../errors.js';
import { optimizers } from '../optimizers/index.js';
import { buildDataset, buildTrainingParts, disposeTrainingParts } from '../train/build.js';
import { checkpointDir, checkpointHook, cleanStaleFiles, restoreCheckpoint } from '../train/checkpoint.js';
import type { EpochMetrics, TrainingHook, TrainingPosition } from '../train/hooks.js';
import { divergenceGuard } from '../train/hooks/divergenceGuard.js';
import { metricsCsvHook } from '../train/hooks/metricsCsv.js';
import { plainProgress, terminalProgress } from '../train/hooks/progress.js';
import { stepsCsvGap, stepsCsvHook } from '../train/hooks/stepsCsv.js';
import { swaHook, swaSummary } from '../train/swa/hook.js';
import { train, type TrainingParts } from '../train/trainer.js';
import { checkWasmHeap } from '../train/wasmHeapCheck.js';
import { tensorboardHook } from '../tensorboard/hook.js';
import { writeFileAtomic } from '../files/safeWrite.js';
import { consoleLog } from './consoleLog.js';
import { acquireRunLock } from './lock.js';
import { runRecordHook } from './runRecord.js';
import { assertSameConfig, canResume } from './resume.js';
import { assertNoLinks, assertStartable, claimRunFolder, describeClaim, readRunState, runFolderFor, type RunFolder, type RunState } from './runFolder.js';
import { resultOfAnotherConfig } from './sameConfig.js';

export interface TrainRequest {
  readonly config: RunConfig;
  readonly force?: boolean;
  /** Continue an unfinished run from its last checkpoint instead of starting over. */
  readonly resume?: boolean;
  /** Plain per-epoch lines instead of live bars. */
  readonly plain?: boolean;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly experiment?: string;
  readonly variant?: string;
  readonly overrides?: Record<string, unknown>;
  /** What the lock file says this process is doing (default: `vdm train`). */
  readonly command?: string;
  /** The exact command line, for run.json and log.txt (default: this process's argv). */
  readonly argv?: readonly string[];
  /** Called with each finished epoch (the experiment runner's ETA). */
  readonly onEpochEnd?: (metrics: EpochMetrics, epochs: number) => void;
}

export interface TrainResult {
  readonly folder: RunFolder;
  readonly backend: BackendReport;
  readonly history: EpochMetrics[];
}

export function describeBackend(report: BackendReport): string {
  const skipped = report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  const threads = report.threads && report.threads > 1 ? `, ${report.threads} threads` : '';
  const adapter = report.adapter ? `, adapter ${describeAdapter(report.adapter)}` : '';
  return `backend: ${report.name} (${report.package}@${report.version}${threads}${adapter})${skipped ? ` — skipped ${skipped}` : ''}`;
}

/**
 * A hook whose file errors name the file and fail the run (exit 1), and whose last write, when
 * the run is already failing, never replaces the first error: on a full disk the run record's
 * final write fails too, and the cause the user needs is the first one.
 */
function reportingFileErrors(hook: TrainingHook, path: string, log: (line: string) => void): TrainingHook {
  const wrapped: TrainingHook = {};
  for (const [name, fn] of Object.entries(hook) as [keyof TrainingHook, (...args: unknown[]) => unknown][]) {
    if (typeof fn !== 'function') continue;
    (wrapped as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        await fn.apply(hook, args);
      } catch (error) {
        const failure = error instanceof FileRefusedError
          ? new FileRefusedError(error.path, error.reason, error.action, ExitCode.runFailed) // mid-run: the run failed
          : asFileSystemError(error, 'write', path, ExitCode.runFailed);
        const failingAlready = name === 'onTrainEnd' && (args[0] as { error?: unknown }).error !== undefined;
        if (!failingAlready) throw failure;
        log(`also: ${failure instanceof Error ? failure.message : String(failure)}`);
      }
    };
  }
  return wrapped;
}

/** A finished run of another config is not "already completed": say so, and leave it to --force. */
function assertSameResult(folder: RunFolder, state: RunState, config: RunConfig, force: boolean): void {
  if (force || state.kind !== 'run' || (state.status !== 'completed' && state.status !== 'diverged')) return;
  const other = resultOfAnotherConfig(folder, config);
  if (other) throw new UsageError(`${folder.dir} already holds a ${state.status} run of a different config (${other}); pass --force to replace it, or choose another --name`);
}

export async function trainRun(request: TrainRequest): Promise<TrainResult> {
  const { config, log } = request;
  const force = request.force ?? false;
  const folder = runFolderFor({ ...config, experiment: request.experiment, variant: request.variant });
  const lock = acquireRunLock(folder.dir, request.command ?? 'vdm train', log); // before anything is written
  try {
    // A resume keeps the folder's files and appends to them: a link among them is refused first.
    // A fresh start removes vdm's names, links included, without following them.
    if (request.resume && !force) assertNoLinks(folder);
    const state = readRunState(folder);
    if (request.resume && !force && state.kind === 'unreadable') {
      throw new UsageError(`cannot resume ${folder.dir}: ${state.reason}; fix or remove its run.json, or pass --force to start over`);
    }
    const resuming = request.resume === true && !force && canResume(folder, state);
    if (resuming) assertSameConfig(folder, config);
    else {
      assertSameResult(folder, state, config, force);
      assertStartable(folder, state, force, canResume(folder, state));
    }
    return await trainInFolder(request, folder, resuming);
  } finally {
    lock.release();
  }
}

/** A resume refuses a steps.csv that cannot be continued, before anything is written. */
function assertStepsContinue(folder: RunFolder, parts: TrainingParts, position: TrainingPosition, every: number): void {
  const batchesPerEpoch = Math.ceil(parts.dataset.size('train') / parts.batchSize);
  const lastStep = position.history.length * batchesPerEpoch + (position.partial?.batch ?? 0);
  const gap = stepsCsvGap(join(folder.dir, 'steps.csv'), lastStep, every);
  if (gap) throw new UsageError(`cannot resume ${folder.dir}: ${gap}; pass --force to start the run over`);
}

async function trainInFolder(request: TrainRequest, folder: RunFolder, resuming: boolean): Promise<TrainResult> {
  const { config } = request;
  const output = consoleLog(request.log);
  const { log } = output;
  const argv = request.argv ?? process.argv;
  const dataset = await buildDataset(config, request.signal); // data errors surface before any backend work
  if (request.signal?.aborted) {
    // Ctrl-C/SIGTERM while loading: stop before the run folder is touched.
    await dataset.close?.();
    throw new InterruptedError('interrupted while loading the data; nothing was written');
  }
  const backend = await selectBackend(config.backend);
  log(describeBackend(backend));
  if (backend.name === 'wasm') {
    const warning = await checkWasmHeap(config, dataset).catch(async (error: unknown) => {
      await dataset.close?.();
      throw error;
    });
    if (warning) log(warning);
  }
  const vdmNote = vdmConfigNote(config.vdm);
  if (vdmNote) log(`note: vdm: ${vdmNote}`);
  const parts = buildTrainingParts(config, dataset);
  try {
    let position: TrainingPosition = { history: [] };
    if (resuming) {
      cleanStaleFiles(folder.dir);
      position = restoreCheckpoint(folder.dir, parts, { metricsCsv: folder.metricsCsv });
      assertStepsContinue(folder, parts, position, config.logging.steps_every);
      output.open(folder.dir, `resume after epoch ${position.history.length}`, argv);
      const at = position.partial ? `in epoch ${position.partial.epoch} after batch ${position.partial.batch}` : `after epoch ${position.history.length}`;
      log(`resuming ${at} from ${checkpointDir(folder.dir)}`);
    } else {
      try {
        const claim = describeClaim(folder, claimRunFolder(folder));
        writeFileAtomic(folder.configYaml, configToYaml(config));
        output.open(folder.dir, 'start', argv);
        if (claim) log(claim);
      } catch (error) {
        throw asFileSystemError(error, 'write', folder.configYaml); // before the run: exit 2
      }
    }
    const files = (hook: TrainingHook, path: string) => reportingFileErrors(hook, path, log);
    const swa = parts.swa;
    let record: TrainingHook;
    try {
      record = runRecordHook(folder, backend, {
        seed: config.seed,
        experiment: request.experiment,
        variant: request.variant,
        overrides: request.overrides,
        command: argv,
        cwd: process.cwd(),
        describeDataset: () => dataset.describe(),
        classNames: dataset.classNames,
        resumedAfterEpoch: resuming ? position.history.length : undefined,
        gradientEvaluationsPerStep: optimizers.get(config.optimizer.name).gradientEvaluationsPerStep,
        ...(swa ? { summaryExtras: () => swaSummary(swa.average) } : {}),
      });
    } catch (error) {
      throw asFileSystemError(error, 'write', folder.runJson); // its first write: before the run, exit 2
    }
    const hooks: TrainingHook[] = [
      files(record, folder.runJson),
      divergenceGuard(),
      files(metricsCsvHook(folder.metricsCsv, dataset.numClasses, position.history), folder.metricsCsv),
      files(stepsCsvHook(join(folder.dir, 'steps.csv'), config.logging.steps_every), join(folder.dir, 'steps.csv')),
      ...(config.logging.tensorboard ? [files(tensorboardHook(folder.dir, { config: configToYaml(config) }), join(folder.dir, 'tb'))] : []),
      // before the checkpoint: each checkpoint holds the average of the epochs it has finished
      ...(swa ? [swaHook({ ...parts, swa }, { signal: request.signal, log })] : []),
      // after the CSV hooks: a checkpoint follows its rows
      files(checkpointHook(folder.dir, parts, position.history, { keepLast: config.checkpoint.keep_last, best: config.checkpoint.best }), checkpointDir(folder.dir)),
      // The bars are the console's; log.txt gets the same epoch lines as a plain run's.
      ...(request.plain ? [plainProgress(log)] : [terminalProgress(), plainProgress(output.fileOnly)]),
      { onEpochEnd: (m) => request.onEpochEnd?.(m, config.epochs) },
    ];
    log(`run folder: ${folder.dir}`);
    try {
      const history = await train(parts, { hooks, signal: request.signal, resume: position });
      return { folder, backend, history };
    } catch (error) {
      output.fileOnly(`${error instanceof InterruptedError ? 'stopped' : 'error'}: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  } finally {
    disposeTrainingParts(parts);
    await dataset.close?.();
  }
}
