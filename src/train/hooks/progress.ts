// Progress reporting: live bars (epoch, and batch with loss/accuracy/speed/ETA) on a terminal;
// one plain line per epoch in logs and CI.
import cliProgress from 'cli-progress';
import { onImmediateExit } from '../../shutdown.js';
import type { EpochMetrics, StepStats, TrainingHook, TrainingPlan } from '../hooks.js';

const percent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

export function formatEpochLine(m: EpochMetrics, epochs: number): string {
  const top5 = m.test_top5 === undefined ? '' : ` top5 ${percent(m.test_top5)}`;
  return (
    `epoch ${m.epoch}/${epochs}  lr ${m.lr.toPrecision(3)}  ` +
    `train loss ${m.train_loss.toFixed(4)} acc ${percent(m.train_acc)}  ` +
    `test loss ${m.test_loss.toFixed(4)} acc ${percent(m.test_acc)}${top5}  ` +
    `grad_scale ${m.grad_scale.toPrecision(4)}  ${m.epoch_seconds.toFixed(1)}s  ${m.images_per_s.toFixed(0)} img/s`
  );
}

/** Plain lines, for pipes, CI and --quiet. */
export function plainProgress(write: (line: string) => void): TrainingHook {
  let epochs = 0;
  return {
    onTrainStart: (plan: TrainingPlan) => {
      epochs = plan.epochs;
    },
    onEpochEnd: (m) => write(formatEpochLine(m, epochs)),
  };
}

/** Two live bars on a TTY (stderr); each finished epoch is also printed as a plain line. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): TrainingHook {
  const bars = new cliProgress.MultiBar(
    { stream, clearOnComplete: false, hideCursor: true, etaBuffer: 50, format: '{label} |{bar}| {value}/{total} {info} ETA {eta_formatted}' },
    cliProgress.Presets.shades_classic,
  );
  let epochBar: cliProgress.SingleBar | undefined;
  let batchBar: cliProgress.SingleBar | undefined;
  let epochs = 0;
  let unregister = () => {};
  return {
    onTrainStart(plan) {
      epochs = plan.epochs;
      unregister = onImmediateExit(() => bars.stop()); // a second Ctrl-C must not leave the cursor hidden
      epochBar = bars.create(plan.epochs, plan.firstEpoch - 1, { label: 'epochs', info: '' });
      batchBar = bars.create(plan.batchesPerEpoch, 0, { label: 'batch ', info: '' });
    },
    onEpochStart(epoch) {
      batchBar?.update(0, { info: `epoch ${epoch}` });
    },
    onStepEnd(s: StepStats) {
      batchBar?.update(s.batch, { info: `loss ${s.loss.toFixed(4)} acc ${percent(s.accuracy)} ${s.imagesPerSecond.toFixed(0)} img/s` });
    },
    onEpochEnd(m) {
      epochBar?.update(m.epoch, { info: `test acc ${percent(m.test_acc)}` });
      bars.log(`${formatEpochLine(m, epochs)}\n`);
      bars.update(); // flush the line now: the last epoch's would otherwise be lost at stop()
    },
    onTrainEnd() {
      unregister();
      bars.stop();
    },
  };
}

/**
 * The epoch, epoch count and seconds of a line formatEpochLine wrote (the experiment runner
 * reads its child processes' output with it), or undefined for any other line.
 */
export function parseEpochLine(line: string): { epoch: number; epochs: number; seconds: number } | undefined {
  const match = /^epoch (\d+)\/(\d+)  .*  (\d+(?:\.\d+)?)s  \d+ img\/s$/.exec(line);
  return match ? { epoch: Number(match[1]), epochs: Number(match[2]), seconds: Number(match[3]) } : undefined;
}
