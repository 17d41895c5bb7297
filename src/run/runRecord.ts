// Keeps run.json's status current and writes summary.json when training ends, however it ends.
import type { BackendReport } from '../backend/resolve.js';
import { onImmediateExit } from '../shutdown.js';
import type { EpochMetrics, RunStatus, TrainingHook, TrainingOutcome, TrainingPlan } from '../train/hooks.js';
import { writeJsonAtomic } from '../files/safeWrite.js';
import { environmentFacts } from './provenance.js';
import type { RunFolder } from './runFolder.js';

export interface RunIdentity {
  readonly seed: number;
  readonly experiment?: string;
  readonly variant?: string;
  /** The overrides that define the variant within its experiment ({} for the baseline). */
  readonly overrides?: Record<string, unknown>;
  /** The data set's facts; asked again at the end, since counts such as skipped files grow. */
  readonly describeDataset?: () => Record<string, unknown>;
  readonly classNames?: readonly string[];
  /** Set when the run continues from a checkpoint. */
  readonly resumedAfterEpoch?: number;
  /** The exact command line of the process (argv) and the folder it ran in. */
  readonly command?: readonly string[];
  readonly cwd?: string;
  /** Forward and backward passes one training step costs (SAM 2, the rest 1); default 1. */
  readonly gradientEvaluationsPerStep?: number;
  /** Figures of other results the run produced (the SWA average's), asked for when it ends. */
  readonly summaryExtras?: () => Record<string, number | null>;
}

/**
 * Final and best figures; total_seconds sums the epochs' times, so it survives a resume.
 * gradient_evaluations counts the run's forward and backward passes (all its processes): the
 * cost of a method counted, not timed.
 */
export function summarize(history: readonly EpochMetrics[], gradientEvaluations: number | null = null): Record<string, number | null> {
  const last = history.at(-1);
  const best = history.reduce<EpochMetrics | undefined>((b, m) => (b === undefined || m.test_acc > b.test_acc ? m : b), undefined);
  return {
    final_test_acc: last?.test_acc ?? null,
    best_test_acc: best?.test_acc ?? null,
    best_epoch: best?.epoch ?? null,
    final_test_top5: last?.test_top5 ?? null,
    epochs_completed: history.length,
    total_seconds: Number(history.reduce((t, m) => t + m.epoch_seconds, 0).toFixed(3)),
    gradient_evaluations: gradientEvaluations,
  };
}

export function runRecordHook(folder: RunFolder, backend: BackendReport, identity: RunIdentity): TrainingHook {
  const startedAt = new Date();
  const record: Record<string, unknown> = {
    ...environmentFacts(),
    backend: backend.name,
    backend_package: backend.package,
    backend_version: backend.version,
    backend_threads: backend.threads ?? null,
    backend_skipped: backend.skipped,
    backend_adapter: backend.adapter ?? null,
    started_at: startedAt.toISOString(),
    ended_at: null,
    status: 'running' satisfies RunStatus,
    message: null,
    experiment: identity.experiment ?? null,
    variant: identity.variant ?? null,
    overrides: identity.overrides ?? null,
    resumed_after_epoch: identity.resumedAfterEpoch ?? null,
    seed: identity.seed,
    command: identity.command ?? null,
    cwd: identity.cwd ?? null,
    dataset: identity.describeDataset?.() ?? null,
    class_names: identity.classNames ?? null,
  };
  writeJsonAtomic(folder.runJson, record);
  // A second Ctrl-C quits without unwinding: run.json must still say 'interrupted', not 'running'.
  const unregister = onImmediateExit(() => {
    writeJsonAtomic(folder.runJson, { ...record, status: 'interrupted' satisfies RunStatus, ended_at: new Date().toISOString(), message: 'quit at once (second interrupt)' });
  });
  // Steps of the whole run: those before this process (a resume) plus those taken here.
  let steps = 0;
  const perStep = identity.gradientEvaluationsPerStep ?? 1;
  return {
    onTrainStart(plan: TrainingPlan) {
      steps = plan.firstStep;
    },
    onStepEnd() {
      steps++;
    },
    onTrainEnd(outcome: TrainingOutcome) {
      unregister();
      const ended = new Date();
      record.status = outcome.status;
      record.dataset = identity.describeDataset?.() ?? null;
      record.ended_at = ended.toISOString();
      record.message = outcome.error instanceof Error ? outcome.error.message : outcome.error === undefined ? null : String(outcome.error);
      writeJsonAtomic(folder.runJson, record);
      writeJsonAtomic(folder.summaryJson, { ...summarize(outcome.history, steps * perStep), ...identity.summaryExtras?.() });
    },
  };
}
