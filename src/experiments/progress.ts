// Where an experiment stands while it runs: "run i/N" as each run starts, "done k/N" with its
// result as it ends, and an ETA from the epochs finished so far.
import type { ExperimentRun } from './spec.js';

/** 41 s, 12 min, 5.2 h, 3.4 days: as precise as an estimate deserves. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

interface RunProgress {
  readonly epochs: number;
  epochsDone: number;
  /** Seconds of the epochs timed in this process. */
  epochSeconds: number;
  started: boolean;
  finished: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class ExperimentProgress {
  private readonly runs = new Map<string, RunProgress>();
  private started = 0;
  private ended = 0;
  private measuredSeconds = 0;
  private measuredEpochs = 0;
  /** A run's time outside its epochs (process start, data loading), summed over ended runs. */
  private startupSeconds = 0;
  private startupRuns = 0;

  /** `runs`: those this process will start; `parallel`: how many train at once. */
  constructor(runs: readonly ExperimentRun[], private readonly label: (run: ExperimentRun) => string, private readonly parallel: number) {
    for (const run of runs) this.runs.set(label(run), { epochs: run.config.epochs, epochsDone: 0, epochSeconds: 0, started: false, finished: false });
  }

  get total(): number {
    return this.runs.size;
  }

  start(run: ExperimentRun): string {
    this.started++;
    const state = this.runs.get(this.label(run));
    if (state) state.started = true;
    return `run ${this.started}/${this.total} ${this.label(run)} (${this.eta()})`;
  }

  /** A finished epoch of a run (its number, of how many, and how long it took). */
  epoch(run: ExperimentRun, epoch: number, seconds: number): void {
    const state = this.runs.get(this.label(run));
    if (!state) return;
    // A resumed run starts past epoch 1: its earlier epochs are not left, but were not timed here.
    state.epochsDone = epoch;
    state.epochSeconds += seconds;
    this.measuredSeconds += seconds;
    this.measuredEpochs++;
  }

  /**
   * The result line of a run that ended; `result` is what it achieved or why it failed,
   * `seconds` its wall time (undefined for a run skipped without starting).
   */
  end(run: ExperimentRun, result: string, seconds?: number): string {
    this.ended++;
    const state = this.runs.get(this.label(run));
    if (state) state.finished = true;
    if (state && seconds !== undefined && state.epochSeconds > 0) {
      this.startupSeconds += Math.max(0, seconds - state.epochSeconds);
      this.startupRuns++;
    }
    const left = this.total - this.ended;
    return `${result.startsWith('failed') ? 'failed' : 'done'} ${this.ended}/${this.total} ${this.label(run)}: ${result.replace(/^failed: /, '')}${left > 0 ? ` (${this.eta()})` : ''}`;
  }

  /**
   * The experiment's remaining time: seconds per epoch so far x epochs left, plus the mean
   * start-up of an ended run x runs not started, shared by the workers.
   */
  eta(): string {
    const unfinished = [...this.runs.values()].filter((r) => !r.finished);
    const epochsLeft = unfinished.reduce((n, r) => n + Math.max(0, r.epochs - r.epochsDone), 0);
    if (epochsLeft === 0) return 'ETA: nothing left';
    if (this.measuredEpochs === 0) return `ETA: unknown until an epoch finishes; ${plural(epochsLeft, 'epoch')} to run`;
    const perEpoch = this.measuredSeconds / this.measuredEpochs;
    const notStarted = unfinished.filter((r) => !r.started).length;
    const startup = this.startupRuns > 0 && notStarted > 0 ? this.startupSeconds / this.startupRuns : 0;
    const workers = Math.max(1, Math.min(this.parallel, unfinished.length));
    const total = (perEpoch * epochsLeft + startup * notStarted) / workers;
    const startupText = startup > 0 ? ` + ${startup.toFixed(0)} s start-up x ${plural(notStarted, 'run')}` : '';
    const perWorker = workers > 1 ? `, ${workers} at once` : '';
    return `ETA ${formatDuration(total)}: ${perEpoch.toFixed(1)} s/epoch x ${plural(epochsLeft, 'epoch')} left${startupText}${perWorker}`;
  }
}
