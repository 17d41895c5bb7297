// Learning-rate schedules as pure functions of fractional epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedules } from '../../src/schedules/index.js';
import { withWarmup } from '../../src/schedules/types.js';

const make = (name: string, params: Record<string, unknown>, epochs = 10) =>
  schedules.get(name).create(schedules.get(name).params.parse(params), { baseLr: 0.1, epochs, stepsPerEpoch: 10, seed: 1 });

test('multistep decays by gamma after each milestone epoch (torch MultiStepLR)', () => {
  const lr = make('multistep', { milestones: [3, 6], gamma: 0.1 });
  assert.equal(lr(0), 0.1);
  assert.equal(lr(2.99), 0.1);
  assert.ok(Math.abs(lr(3) - 0.01) < 1e-12);
  assert.ok(Math.abs(lr(5.5) - 0.01) < 1e-12);
  assert.ok(Math.abs(lr(6) - 0.001) < 1e-12);
});

test('cosine goes from the base rate to min_lr over the run', () => {
  const lr = make('cosine', { min_lr: 0.001 });
  assert.equal(lr(0), 0.1);
  assert.ok(Math.abs(lr(5) - (0.001 + 0.5 * 0.099)) < 1e-12);
  assert.ok(Math.abs(lr(10) - 0.001) < 1e-12);
});

test('constant is constant', () => {
  const lr = make('constant', {});
  assert.deepEqual([0, 3.3, 9.9].map(lr), [0.1, 0.1, 0.1]);
});

test('linear warmup ramps up to the scheduled rate, then hands over', () => {
  const lr = withWarmup(make('constant', {}), 2);
  assert.ok(Math.abs(lr(1) - 0.05) < 1e-12);
  assert.ok(Math.abs(lr(0.5) - 0.025) < 1e-12);
  assert.equal(lr(2), 0.1);
  assert.ok(lr(0) > 0, 'never exactly zero');
});
