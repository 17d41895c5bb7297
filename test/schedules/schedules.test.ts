// Learning-rate schedules as pure functions of fractional epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleFor, schedules } from '../../src/schedules/index.js';
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

/** A block as a config holds it, through scheduleFor (what the trainer builds). */
const built = (name: string, params: Record<string, unknown>, epochs: number, extra: { warmup_epochs?: number; stretch?: number } = {}) =>
  scheduleFor({ name, params: schedules.get(name).params.parse(params), warmup_epochs: extra.warmup_epochs ?? 0, stretch: extra.stretch }, { baseLr: 0.1, epochs, stepsPerEpoch: 10, seed: 1 });

/** Every step's rate over a run (steps per epoch 10). */
const rates = (lr: (progress: number) => number, epochs: number) => Array.from({ length: epochs * 10 + 1 }, (_, step) => lr(step / 10));

test('stretch 1 is the identity: every step of every schedule, warm-up included, gives the same rate bit for bit', () => {
  const cases: [string, Record<string, unknown>][] = [['multistep', { milestones: [3, 6] }], ['cosine', { min_lr: 0.001 }], ['constant', {}]];
  for (const [name, params] of cases) {
    const plain = built(name, params, 10, { warmup_epochs: 0.5 });
    assert.deepEqual(rates(built(name, params, 10, { warmup_epochs: 0.5, stretch: 1 }), 10), rates(plain, 10), name);
  }
});

test('stretch 2 puts the milestones, the cosine period and the warm-up at twice their epochs', () => {
  for (const [name, params] of [['multistep', { milestones: [3, 6], gamma: 0.1 }], ['cosine', { min_lr: 0.001 }]] as const) {
    const short = built(name, params, 10, { warmup_epochs: 0.5 });
    const long = built(name, params, 20, { warmup_epochs: 0.5, stretch: 2 });
    // Epoch p of the short run is epoch 2p of the long one, step by step over the short run.
    for (let step = 0; step <= 100; step++) assert.ok(Math.abs(long((2 * step) / 10) - short(step / 10)) < 1e-15, `${name} step ${step}`);
  }
  const multistep = built('multistep', { milestones: [3, 6], gamma: 0.1 }, 20, { stretch: 2 });
  assert.equal(multistep(5.99), 0.1);
  assert.ok(Math.abs(multistep(6) - 0.01) < 1e-12, 'the first drop after epoch 6, not 3');
  assert.ok(Math.abs(multistep(11.99) - 0.01) < 1e-12);
  assert.ok(Math.abs(multistep(12) - 0.001) < 1e-12, 'the second after epoch 12, not 6');
  const warm = built('constant', {}, 20, { warmup_epochs: 0.5, stretch: 2 });
  assert.ok(Math.abs(warm(0.5) - 0.05) < 1e-12, 'half way through a warm-up of 1 epoch');
  assert.equal(warm(1), 0.1);
  const cosine = built('cosine', { min_lr: 0 }, 20, { stretch: 2 });
  assert.ok(Math.abs(cosine(10) - 0.05) < 1e-12, 'half the rate at half of the 20 epochs');
  assert.ok(Math.abs(cosine(20)) < 1e-12);
});
