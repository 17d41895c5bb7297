// Training curves for TensorBoard, written by vdm itself (no tfjs-node): per-step loss, deformed
// loss, gradient scale and learning rate; per-epoch every metrics.csv column; the resolved config
// as text. Files go to <run>/tb/; a resumed run starts a new file that supersedes the repeated steps.
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { EpochMetrics, StepStats, TrainingHook } from '../train/hooks.js';
import { EventFileWriter } from './eventFile.js';
import { scalarsEvent, sessionStartEvent, textEvent } from './events.js';

export const TENSORBOARD_DIR = 'tb';

export interface TensorboardOptions {
  /** The resolved run config, shown under the TEXT tab: YAML text (config.yaml's) or an object to write as YAML. */
  readonly config?: string | object;
  /** Seconds since the epoch; injectable so tests can fix it. */
  readonly clock?: () => number;
}

const stepScalars = (s: StepStats) => ({
  'step/loss': s.loss,
  'step/deformed_loss': s.deformedLoss,
  'step/grad_scale': s.gradScale,
  'step/lr': s.lr,
});

/** Every metrics.csv column that the epoch has (test_top5 only with more than 10 classes). */
const epochScalars = (m: EpochMetrics) =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'number').map(([k, v]) => [`epoch/${k}`, v as number]));

/** The text plugin renders Markdown: a fenced block keeps the YAML's indentation. */
function configMarkdown(config: string | object): string {
  const yaml = typeof config === 'string' ? config : stringify(config);
  return `\`\`\`yaml\n${yaml.endsWith('\n') ? yaml : `${yaml}\n`}\`\`\``;
}

export function tensorboardHook(runDir: string, options: TensorboardOptions = {}): TrainingHook {
  const clock = options.clock ?? (() => Date.now() / 1000);
  let writer: EventFileWriter | null = null;
  let batchesPerEpoch = 1;
  const write = (event: Uint8Array) => writer?.write(event);
  return {
    onTrainStart(plan) {
      batchesPerEpoch = plan.batchesPerEpoch;
      writer = EventFileWriter.create(join(runDir, TENSORBOARD_DIR), new Date(clock() * 1000));
      // Resumed: the steps after the checkpoint run again, so the earlier file's copies must go.
      if (plan.firstStep > 0) write(sessionStartEvent(clock(), plan.firstStep + 1));
      if (options.config !== undefined) write(textEvent(clock(), 0, 'config', configMarkdown(options.config)));
    },
    onStepEnd(step) {
      // TensorBoard's step is the number of steps taken (the trainer's globalStep counts those before).
      write(scalarsEvent(clock(), step.globalStep + 1, stepScalars(step)));
    },
    onEpochEnd(metrics) {
      // At the epoch's last step, so epoch curves share the x axis with the step curves.
      write(scalarsEvent(clock(), metrics.epoch * batchesPerEpoch, epochScalars(metrics)));
    },
    onTrainEnd() {
      writer?.close();
    },
  };
}
