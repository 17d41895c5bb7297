// The experiment runner's progress lines: run i/N, done k/N with the result, and the ETA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExperimentProgress, formatDuration } from '../../src/experiments/progress.js';
import type { ExperimentRun } from '../../src/experiments/spec.js';
import { formatEpochLine, parseEpochLine } from '../../src/train/hooks/progress.js';

const run = (variant: string, seed: number, epochs: number) => ({ variant, seed, overrides: {}, config: { epochs } }) as unknown as ExperimentRun;
const label = (r: ExperimentRun) => `${r.variant}/seed-${r.seed}`;

test('formatDuration picks a unit an estimate deserves', () => {
  for (const [seconds, text] of [[41, '41 s'], [600, '10 min'], [5.25 * 3600, '5.3 h'], [20 * 86_400, '20.0 days']] as const) {
    assert.equal(formatDuration(seconds), text);
  }
});

test('progress: numbered start and done lines, an ETA from the finished epochs, shared by parallel workers', () => {
  const runs = [run('a', 1, 4), run('a', 2, 4), run('b', 1, 2)];
  const progress = new ExperimentProgress(runs, label, 1);
  assert.equal(progress.start(runs[0]!), 'run 1/3 a/seed-1 (ETA: unknown until an epoch finishes; 10 epochs to run)');
  progress.epoch(runs[0]!, 1, 10);
  progress.epoch(runs[0]!, 2, 20);
  assert.equal(progress.eta(), 'ETA 2 min: 15.0 s/epoch x 8 epochs left');
  progress.epoch(runs[0]!, 3, 15);
  progress.epoch(runs[0]!, 4, 15);
  // 60 s of epochs in 66 s: 6 s of start-up, counted for each run not yet started
  assert.equal(progress.end(runs[0]!, 'test acc 97.60% in 66 s', 66), 'done 1/3 a/seed-1: test acc 97.60% in 66 s (ETA 2 min: 15.0 s/epoch x 6 epochs left + 6 s start-up x 2 runs)');
  assert.equal(progress.start(runs[1]!), 'run 2/3 a/seed-2 (ETA 2 min: 15.0 s/epoch x 6 epochs left + 6 s start-up x 1 run)');
  assert.equal(progress.end(runs[1]!, 'failed: out of memory', 3), 'failed 2/3 a/seed-2: out of memory (ETA 36 s: 15.0 s/epoch x 2 epochs left + 6 s start-up x 1 run)');
  assert.equal(progress.end(runs[2]!, 'test acc 50.00% in 30 s', 30), 'done 3/3 b/seed-1: test acc 50.00% in 30 s');

  const parallel = new ExperimentProgress(runs, label, 2);
  parallel.epoch(runs[0]!, 1, 10);
  assert.equal(parallel.eta(), 'ETA 45 s: 10.0 s/epoch x 9 epochs left, 2 at once');
});

test('parseEpochLine reads back what formatEpochLine writes (how --parallel children report epochs)', () => {
  const line = formatEpochLine({ epoch: 3, lr: 0.05, train_loss: 0.5, train_acc: 0.8, test_loss: 0.4, test_acc: 0.85, deformed_loss: 0.3, grad_scale: 0.7, epoch_seconds: 12.34, images_per_s: 800 }, 8);
  assert.deepEqual(parseEpochLine(line), { epoch: 3, epochs: 8, seconds: 12.3 });
  assert.equal(parseEpochLine('run folder: /tmp/x'), undefined);
});
