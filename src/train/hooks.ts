// The trainer's extension points. Logging, CSV, progress bars, run records, divergence checks
// and checkpoints are hooks, so the loop itself never grows a branch for them.

/** One row of metrics.csv. Accuracies are fractions in [0, 1]. */
export interface EpochMetrics {
  readonly epoch: number;
  readonly lr: number;
  readonly train_loss: number;
  readonly train_acc: number;
  readonly test_loss: number;
  readonly test_acc: number;
  /** Only for data sets with more than 10 classes. */
  readonly test_top5?: number;
  /** Mean over the epoch's steps of phi(L) (or mean phi(l_i) in sample mode). */
  readonly deformed_loss: number;
  /** Mean over the epoch's steps of the applied gradient scale phi'(L). */
  readonly grad_scale: number;
  /** Wall time of the epoch, training and evaluation. */
  readonly epoch_seconds: number;
  /** Training images per second (evaluation excluded). */
  readonly images_per_s: number;
}

export interface StepStats {
  readonly epoch: number;
  /** 1-based index of the batch within its epoch. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly globalStep: number;
  readonly lr: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly deformedLoss: number;
  readonly gradScale: number;
  readonly images: number;
  /** Training images per second so far in this epoch. */
  readonly imagesPerSecond: number;
  /** Training seconds of the whole run so far (earlier epochs and earlier processes included). */
  readonly runSeconds: number;
}

/**
 * How far an epoch has got: its steps so far and the running sums its metrics row is made of.
 * Saved when a run is interrupted mid-epoch, so that resuming finishes the same row.
 */
export interface EpochProgress {
  readonly epoch: number;
  /** Steps (batches) of this epoch already taken. */
  readonly batch: number;
  readonly lossSum: number;
  readonly correct: number;
  readonly deformedSum: number;
  readonly scaleSum: number;
  readonly images: number;
  /** Wall time of the epoch's steps so far. */
  readonly seconds: number;
  /** The last step's learning rate. */
  readonly lr: number;
}

/** Where a stopped run stands: its finished epochs, and the unfinished one if it had begun. */
export interface TrainingPosition {
  readonly history: readonly EpochMetrics[];
  readonly partial?: EpochProgress;
}

export interface TrainingPlan {
  readonly epochs: number;
  readonly firstEpoch: number;
  /** Steps already taken before this process started (0 for a fresh run). */
  readonly firstStep: number;
  readonly batchesPerEpoch: number;
  readonly trainSize: number;
  readonly testSize: number;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted' | 'diverged';

export interface TrainingOutcome {
  readonly status: Exclude<RunStatus, 'running'>;
  readonly history: readonly EpochMetrics[];
  readonly error?: unknown;
}

type MaybePromise = void | Promise<void>;

export interface TrainingHook {
  onTrainStart?(plan: TrainingPlan): MaybePromise;
  onEpochStart?(epoch: number): MaybePromise;
  onStepEnd?(step: StepStats): MaybePromise;
  onEpochEnd?(metrics: EpochMetrics): MaybePromise;
  /** An interrupt stopped the run after a step: save what resuming needs. A throw makes the run 'failed'. */
  onInterrupt?(position: TrainingPosition): MaybePromise;
  /** Always called, also when training failed; must not throw. */
  onTrainEnd?(outcome: TrainingOutcome): MaybePromise;
}
