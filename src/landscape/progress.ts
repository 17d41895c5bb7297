// Progress of a landscape: a bar with ETA on a terminal, a plain line every ~10% in logs and CI.
import cliProgress from 'cli-progress';

export interface LandscapeProgress {
  start(total: number, alreadyDone: number): void;
  /** One point finished, in `run`. */
  tick(run: string): void;
  stop(): void;
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): LandscapeProgress {
  const bar = new cliProgress.SingleBar(
    { stream, hideCursor: true, etaBuffer: 20, format: 'points |{bar}| {value}/{total} {run} ETA {eta_formatted}' },
    cliProgress.Presets.shades_classic,
  );
  let value = 0;
  return {
    start(total, alreadyDone) {
      value = alreadyDone;
      bar.start(total, alreadyDone, { run: '' });
    },
    tick(run) {
      bar.update(++value, { run });
    },
    stop: () => bar.stop(),
  };
}

export function plainProgress(write: (line: string) => void): LandscapeProgress {
  let total = 0;
  let done = 0;
  let started = 0;
  let atStart = 0;
  let nextReport = 0;
  return {
    start(all, alreadyDone) {
      [total, done, atStart, started] = [all, alreadyDone, alreadyDone, performance.now()];
      nextReport = done + Math.max(1, Math.ceil(total / 10));
    },
    tick(run) {
      done++;
      // The rate counts from the first point on: loading the run and compiling kernels come before it.
      if (done === atStart + 1) started = performance.now();
      if (done < nextReport && done < total) return;
      nextReport = done + Math.max(1, Math.ceil(total / 10));
      const perPoint = (performance.now() - started) / 1000 / (done - atStart - 1);
      write(`points ${done}/${total} (${run}), ETA ${done - atStart > 1 ? formatSeconds(perPoint * (total - done)) : '?'}`);
    },
    stop() {},
  };
}

/** True when a live bar makes sense: a terminal, and not CI. */
export function wantsLiveBar(stream: NodeJS.WriteStream = process.stderr): boolean {
  return stream.isTTY === true && !process.env.CI;
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
