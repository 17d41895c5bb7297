// Test helper: writes run folders in the layout the trainer writes, with chosen metrics.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface FakeRun {
  /** Folder relative to the root, e.g. 'exp/log/seed-1'. */
  dir: string;
  seed: number;
  testAcc: number[];
  top5?: number[];
  trainLoss?: number[];
  /** null: the column is left empty, as for a trainer that does not record it. */
  gradScale?: number[] | null;
  epochSeconds?: number[];
  status?: string;
  message?: string | null;
  variant?: string | null;
  overrides?: Record<string, unknown>;
  /** Deep-merged over the base config below. */
  config?: Record<string, unknown>;
  flatness?: Record<string, unknown>;
  /** Written as summary.json when given. */
  summary?: Record<string, unknown>;
}

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'vdm-compare-'));
}

export function baseConfig(seed: number): Record<string, unknown> {
  return {
    name: 'resnet20-c100',
    seed,
    backend: 'cpu',
    epochs: 3,
    output: 'results',
    model: { name: 'resnet20' },
    dataset: { name: 'cifar100', root: 'data', batch_size: 128, augment: 'standard' },
    optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false, weight_decay: 1e-4 },
    schedule: { name: 'multistep', milestones: [80, 120], gamma: 0.1, warmup_epochs: 0 },
    vdm: { name: 'none', apply: 'batch', normalize: 'none', start_epoch: 1 },
  };
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = [current, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

const header = 'epoch,lr,train_loss,train_acc,test_loss,test_acc,test_top5,deformed_loss,grad_scale,epoch_seconds,images_per_s';

export function metricsCsv(run: FakeRun): string {
  const lines = [run.top5 ? header : header.replace(',test_top5', '')];
  run.testAcc.forEach((acc, i) => {
    const cells = [
      i + 1,
      0.1,
      run.trainLoss?.[i] ?? 2 - i * 0.5,
      0.5,
      1.5,
      acc,
      ...(run.top5 ? [run.top5[i]] : []),
      '',
      run.gradScale === null ? '' : (run.gradScale?.[i] ?? 1),
      run.epochSeconds?.[i] ?? 2,
      1000,
    ];
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}

export function writeRun(root: string, run: FakeRun): string {
  const dir = join(root, run.dir);
  mkdirSync(dir, { recursive: true });
  const config = deepMerge(baseConfig(run.seed), run.config ?? {});
  writeFileSync(join(dir, 'config.yaml'), stringify(config));
  writeFileSync(join(dir, 'metrics.csv'), metricsCsv(run));
  const info = {
    vdm_version: '0.1.0',
    git_commit: null,
    backend: 'cpu',
    backend_skipped: [],
    node_version: 'v20',
    tfjs_version: '4.22.0',
    host: 'test',
    started_at: '2025-01-01T00:00:00Z',
    ended_at: run.status === 'running' ? null : '2025-01-01T00:01:00Z',
    status: run.status ?? 'completed',
    message: run.message ?? null,
    experiment: run.variant ? 'exp' : null,
    variant: run.variant ?? null,
    seed: run.seed,
    ...(run.overrides ? { overrides: run.overrides } : {}),
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(info, null, 2));
  if (run.flatness) writeFileSync(join(dir, 'flatness.json'), JSON.stringify(run.flatness));
  if (run.summary) writeFileSync(join(dir, 'summary.json'), JSON.stringify(run.summary));
  return dir;
}

/** Per seed, test accuracy by epoch; the last value is the final, the max the best. */
export const experimentAccuracy = {
  baseline: [
    [0.6, 0.715, 0.712],
    [0.58, 0.69, 0.705],
    [0.61, 0.72, 0.718],
  ],
  log: [
    [0.62, 0.7, 0.731],
    [0.63, 0.725, 0.722],
    [0.64, 0.73, 0.74],
    [0.6, 0.71, 0.729],
  ],
};
export const experimentTop5 = {
  baseline: [
    [0.85, 0.9, 0.92],
    [0.84, 0.9, 0.91],
    [0.86, 0.91, 0.93],
  ],
  log: [
    [0.86, 0.91, 0.93],
    [0.85, 0.92, 0.94],
    [0.87, 0.92, 0.935],
    [0.85, 0.9, 0.925],
  ],
};
export const experimentEpochSeconds = { baseline: [2.0, 2.2, 2.1], log: [2.4, 2.6, 2.5, 2.3] };

/**
 * An experiment as `vdm run` lays it out: baseline x 3 seeds, log x 4 seeds, plus one failed
 * log run. Returns the experiment folder.
 */
export function writeExperiment(root: string): string {
  for (const variant of ['baseline', 'log'] as const) {
    experimentAccuracy[variant].forEach((testAcc, i) => {
      const seconds = experimentEpochSeconds[variant][i]!;
      writeRun(root, {
        dir: `exp/${variant}/seed-${i + 1}`,
        seed: i + 1,
        variant,
        testAcc,
        top5: experimentTop5[variant][i],
        epochSeconds: [seconds, seconds, seconds],
        gradScale: variant === 'log' ? [3 + i, 2.5, 2] : [1, 1, 1],
        trainLoss: variant === 'log' ? [1.8 - i * 0.05, 1.2, 0.7] : [2.0 - i * 0.05, 1.5, 1.0],
        config: variant === 'log' ? { vdm: { name: 'log', a: 1, b: 1 } } : {},
        flatness: variant === 'log' && i < 2 ? { sharpness: 0.5 + i, hessian: { trace: 10 * (i + 1) }, note: 'x' } : undefined,
      });
    });
  }
  writeRun(root, {
    dir: 'exp/log/seed-5',
    seed: 5,
    variant: 'log',
    status: 'diverged',
    message: 'loss became NaN at epoch 2',
    testAcc: [0.1],
    top5: [0.3],
    config: { vdm: { name: 'log', a: 1, b: 1 } },
  });
  return join(root, 'exp');
}
