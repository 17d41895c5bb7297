// `vdm train`: load a config, build its parts, train, and record the run folder.
import { writeFileSync } from 'node:fs';
import { selectBackend, type BackendReport } from '../backend/resolve.js';
import { describeAdapter } from '../backend/webgpu.js';
import { configToYaml, loadRunConfig, type RunConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import { disposeModel } from '../models/types.js';
import { assertReplaceable, claimRunFolder, runFolderFor, type RunFolder } from '../run/runFolder.js';
import { buildDataset, buildTrainingParts } from '../train/build.js';
import type { EpochMetrics, TrainingHook } from '../train/hooks.js';
import { divergenceGuard } from '../train/hooks/divergenceGuard.js';
import { metricsCsvHook } from '../train/hooks/metricsCsv.js';
import { plainProgress, terminalProgress } from '../train/hooks/progress.js';
import { runRecordHook } from '../train/hooks/runRecord.js';
import { train } from '../train/trainer.js';
import { checkpointDir, checkpointHook, restoreCheckpoint } from '../train/checkpoint.js';
import { assertSameConfig, canResume } from '../run/resume.js';

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

export async function trainRun(request: TrainRequest): Promise<TrainResult> {
  const { config, log } = request;
  const folder = runFolderFor({ ...config, experiment: request.experiment, variant: request.variant });
  assertReplaceable(folder, request.force ?? false); // before any work
  const dataset = await buildDataset(config); // data errors surface before any backend work
  const backend = await selectBackend(config.backend);
  log(describeBackend(backend));
  const parts = buildTrainingParts(config, dataset);
  try {
    const resuming = request.resume === true && !request.force && canResume(folder);
    let completed: EpochMetrics[] = [];
    if (resuming) {
      assertSameConfig(folder, config);
      completed = restoreCheckpoint(folder.dir, parts);
      log(`resuming after epoch ${completed.length} from ${checkpointDir(folder.dir)}`);
    } else {
      claimRunFolder(folder, request.force ?? false);
      writeFileSync(folder.configYaml, configToYaml(config));
    }
    const hooks: TrainingHook[] = [
      runRecordHook(folder, backend, {
        seed: config.seed,
        experiment: request.experiment,
        variant: request.variant,
        overrides: request.overrides,
        describeDataset: () => dataset.describe(),
        classNames: dataset.classNames,
        resumedAfterEpoch: resuming ? completed.length : undefined,
      }),
      divergenceGuard(),
      metricsCsvHook(folder.metricsCsv, dataset.numClasses, completed),
      checkpointHook(folder.dir, parts, completed),
      request.plain ? plainProgress(log) : terminalProgress(),
    ];
    log(`run folder: ${folder.dir}`);
    const history = await train(parts, { hooks, signal: request.signal, completed });
    return { folder, backend, history };
  } finally {
    disposeModel(parts.model);
    parts.optimizer.dispose();
    await dataset.close?.();
  }
}

export interface TrainCommandOptions {
  readonly config: string;
  readonly set?: string[];
  readonly force?: boolean;
  readonly resume?: boolean;
  readonly quiet?: boolean;
}

export async function trainCommand(options: TrainCommandOptions, log: (line: string) => void, signal?: AbortSignal): Promise<TrainResult> {
  if (!options.config) throw new UsageError('vdm train needs --config <file>');
  const config = loadRunConfig(options.config, options.set ?? []);
  const plain = options.quiet === true || !process.stderr.isTTY || Boolean(process.env.CI);
  const result = await trainRun({ config, force: options.force, resume: options.resume, plain, log, signal });
  const last = result.history.at(-1);
  if (last) log(`done: test acc ${(last.test_acc * 100).toFixed(2)}% after ${last.epoch} epochs; results in ${result.folder.dir}`);
  return result;
}
