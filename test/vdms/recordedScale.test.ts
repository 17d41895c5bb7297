// recorded_scale's c_t: each smoothing from a known record, the pooling over source seeds, and
// the refusals of a record that is missing or too short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { vdms } from '../../src/vdms/index.js';
import { writeFiles } from '../helpers/files.js';

const HEADER = 'step,epoch,batch,lr,loss,deformed_loss,grad_scale,wall_time,time';
function stepsCsv(scales: number[], perEpoch: number): string {
  const rows = scales.map((scale, i) => {
    const epoch = Math.floor(i / perEpoch) + 1;
    return `${i + 1},${epoch},${i - (epoch - 1) * perEpoch + 1},0.1,2,1,${scale},0.1,2026-01-01T00:00:00.000Z`;
  });
  return `${HEADER}\n${rows.join('\n')}\n`;
}

const entry = vdms.get('recorded_scale');
const slopes = (params: Record<string, unknown>, seed = 1, epochs = 2, stepsPerEpoch = 3) =>
  Array.from(entry.stepSlopes!(entry.params.parse(params), { seed, epochs, stepsPerEpoch }));
const close = (got: number[], want: number[]) => got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-12, `step ${i}: ${g} vs ${want[i]}`));

const A = [0.3, 0.6, 0.9, 0.5, 0.7, 0.9];
const B = [0.5, 0.8, 1.1, 0.7, 0.9, 1.1];
const dir = writeFiles({ 'steps-1.csv': stepsCsv(A, 3), 'steps-2.csv': stepsCsv(B, 3), 'short.csv': stepsCsv(A.slice(0, 4), 3) });
const steps = join(dir, 'steps-{seed}.csv');

test("epoch_mean (the default): each epoch's mean, of this run's seed or pooled over the listed seeds", () => {
  close(slopes({ steps }), [0.6, 0.6, 0.6, 0.7, 0.7, 0.7]);
  close(slopes({ steps }, 2), [0.8, 0.8, 0.8, 0.9, 0.9, 0.9]);
  close(slopes({ steps, seeds: [1, 2] }), [0.7, 0.7, 0.7, 0.8, 0.8, 0.8]);
});

test('none replays the record; ema averages the steps before t only, from the mean of the first ema_steps', () => {
  assert.deepEqual(slopes({ steps, smoothing: 'none' }), A);
  const ema = slopes({ steps, smoothing: 'ema', ema_steps: 2 });
  const expected = [0.45];
  for (let t = 1; t < A.length; t++) expected.push(expected[t - 1] + (A[t - 1] - expected[t - 1]) / 2);
  close(ema, expected);
  // Step t's own scale never enters c_t: changing it leaves c_t as it was.
  const changed = writeFiles({ 'steps.csv': stepsCsv([...A.slice(0, 3), 5, ...A.slice(4)], 3) });
  close(slopes({ steps: join(changed, 'steps.csv'), smoothing: 'ema', ema_steps: 2 }).slice(0, 4), expected.slice(0, 4));
});

test('a record that is missing or shorter than the run refuses clearly', () => {
  assert.throws(() => slopes({ steps, seeds: [1, 3] }), (e: unknown) => e instanceof UsageError && /steps-3\.csv does not exist: source run not completed/.test(e.message));
  assert.throws(() => slopes({ steps: join(dir, 'short.csv') }), (e: unknown) => e instanceof UsageError && /records 4 of the 6 steps this run needs/.test(e.message));
  assert.throws(() => entry.params.parse({ steps, seeds: [1, 1] }), /a seed is listed twice/);
});
