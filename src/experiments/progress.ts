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
  finished: boolean;
}

export class ExperimentProgress {
  private readonly runs = new Map<string, RunProgress>();
  private started = 0;
  private ended = 0;
  private measuredSeconds = 0;
  private measuredEpochs = 0;

  /** `runs`: those this process will start; `parallel`: how many train at once. */
  constructor(runs: readonly ExperimentRun[], private readonly label: (run: ExperimentRun) => string, private readonly parallel: number) {
    for (const run of runs) this.runs.set(label(run), { epochs: run.config.epochs, epochsDone: 0, finished: false });
  }

  get total(): number {
    return this.runs.size;
  }

  start(run: ExperimentRun): string {
    this.started++;
    return `run ${this.started}/${this.total} ${this.label(run)} (${this.eta()})`;
  }

  /** A finished epoch of a run (its number, of how many, and how long it took). */
  epoch(run: ExperimentRun, epoch: number, seconds: number): void {
    const state = this.runs.get(this.label(run));
    if (!state) return;
    // A resumed run starts past epoch 1: its earlier epochs are not left, but were not timed here.
    state.epochsDone = epoch;
    this.measuredSeconds += seconds;
    this.measuredEpochs++;
  }

  /** The result line of a run that ended; `result` is what it achieved or why it failed. */
  end(run: ExperimentRun, result: string): string {
    this.ended++;
    const state = this.runs.get(this.label(run));
    if (state) state.finished = true;
    const left = this.total - this.ended;
    return `${result.startsWith('failed') ? 'failed' : 'done'} ${this.ended}/${this.total} ${this.label(run)}: ${result.replace(/^failed: /, '')}${left > 0 ? ` (${this.eta()})` : ''}`;
  }

  /** The experiment's remaining time: seconds per epoch so far x epochs left, shared by the workers. */
  eta(): string {
    const unfinished = [...this.runs.values()].filter((r) => !r.finished);
    const epochsLeft = unfinished.reduce((n, r) => n + Math.max(0, r.epochs - r.epochsDone), 0);
    if (epochsLeft === 0) return 'ETA: nothing left';
    if (this.measuredEpochs === 0) return `ETA: unknown until an epoch finishes; ${epochsLeft} epochs to run`;
    const perEpoch = this.measuredSeconds / this.measuredEpochs;
    const workers = Math.max(1, Math.min(this.parallel, unfinished.length));
    const perWorker = workers > 1 ? ` / ${workers} at once` : '';
    return `ETA ${formatDuration((perEpoch * epochsLeft) / workers)}: ${perEpoch.toFixed(1)} s/epoch x ${epochsLeft} epochs left${perWorker}`;
  }
}
