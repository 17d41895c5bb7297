// The `recorded` schedule: per-step rates from a steps.csv (lr × grad_scale), mapped back from
// the trainer's fractional epochs to steps, and refused clearly when the record is incomplete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { schedules } from '../../src/schedules/index.js';
import { writeFiles } from '../helpers/files.js';

const HEADER = 'step,epoch,batch,lr,loss,deformed_loss,grad_scale,wall_time,time';
/** A steps.csv of `epochs` x `perEpoch` steps whose lr is 0.1/step and grad_scale 1/(1+step). */
function stepsCsv(epochs: number, perEpoch: number): string {
  const rows = [];
  for (let step = 1; step <= epochs * perEpoch; step++) {
    const epoch = Math.ceil(step / perEpoch);
    rows.push(`${step},${epoch},${step - (epoch - 1) * perEpoch},${0.1 / step},2.3,0.8,${1 / (1 + step)},0.1,2026-01-01T00:00:00.000Z`);
  }
  return `${HEADER}\n${rows.join('\n')}\n`;
}

const create = (params: Record<string, unknown>, epochs: number, stepsPerEpoch: number, seed = 1) =>
  schedules.get('recorded').create(schedules.get('recorded').params.parse(params), { baseLr: 0.05, epochs, stepsPerEpoch, seed });

test('recorded gives, at each step, the recorded lr times the recorded grad_scale', () => {
  const dir = writeFiles({ 'steps.csv': stepsCsv(3, 7) });
  const lr = create({ steps: join(dir, 'steps.csv') }, 3, 7);
  // The trainer asks for step / stepsPerEpoch; step (0-based) k is row k+1.
  for (let k = 0; k < 21; k++) {
    const expected = (0.1 / (k + 1)) * (1 / (k + 2));
    assert.ok(Math.abs(lr(k / 7) - expected) <= 1e-15 * expected + 1e-18, `step ${k}: ${lr(k / 7)} vs ${expected}`);
  }
  const plain = create({ steps: join(dir, 'steps.csv'), scale: 'none' }, 3, 7);
  assert.equal(plain(4 / 7), 0.1 / 5);
});

test('{seed} in the path is the run seed; a longer record gives its first steps', () => {
  const dir = writeFiles({ 'seed-4.csv': stepsCsv(2, 5) });
  const lr = create({ steps: join(dir, 'seed-{seed}.csv') }, 1, 5, 4);
  assert.equal(lr(0), 0.1 * 0.5);
});

const BAD: [string, string, number, RegExp][] = [
  ['a source still running (too few steps)', stepsCsv(1, 5), 2, /records 5 of the 10 steps this run needs: source run not completed/],
  ['a record of every 2nd step', `${HEADER}\n2,1,2,0.1,2,2,1,0,x\n`, 1, /row 2 is step 2, expected 1 \(the source run must write every step: logging\.steps_every 1\)/],
  ['not a steps.csv', 'epoch,lr\n1,0.1\n', 1, /not a steps\.csv \(no 'step' column/],
  ['a NaN step (a diverged source)', `${HEADER}\n1,1,1,0.1,NaN,NaN,NaN,0,x\n2,1,2,0.1,2,2,1,0,x\n`, 1, /step 1 has loss NaN, not a finite value >= 0/],
];
for (const [title, text, epochs, message] of BAD) {
  test(`recorded refuses ${title}`, () => {
    const dir = writeFiles({ 'steps.csv': text });
    assert.throws(() => create({ steps: join(dir, 'steps.csv') }, epochs, 5), (e: unknown) => e instanceof UsageError && message.test(e.message));
  });
}

test('recorded refuses a missing record: the source has not run', () => {
  const dir = writeFiles({});
  assert.throws(
    () => create({ steps: join(dir, 'seed-{seed}', 'steps.csv') }, 1, 5, 3),
    (e: unknown) => e instanceof UsageError && /seed-3\/steps\.csv does not exist: source run not completed/.test(e.message),
  );
});
