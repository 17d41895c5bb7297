// The scale-loss correlation compare reports per run: within epochs, pooled, 0 for a scale that
// is constant in every epoch, and unmoved by a shift of the loss between epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaleLossCorrelationOfCsv, withinEpochCorrelation } from '../../src/records/scaleLossCorrelation.js';

test('a scale that is a decreasing linear function of the loss within each epoch correlates -1, whatever the epoch means', () => {
  const epoch = [1, 1, 1, 2, 2, 2];
  const loss = [1, 2, 3, 0.1, 0.2, 0.3];
  // Epoch 2's scales are high where its losses are low overall: a between-epoch trend that must not count.
  const scale = [0.5, 0.4, 0.3, 0.99, 0.98, 0.97];
  assert.ok(Math.abs(withinEpochCorrelation(epoch, scale, loss)! + 1) < 1e-12);
  assert.ok(Math.abs(withinEpochCorrelation(epoch, scale.map((s) => -s), loss)! - 1) < 1e-12);
});

test('a scale constant within every epoch (the step-size control, the baseline) gives exactly 0', () => {
  assert.equal(withinEpochCorrelation([1, 1, 2, 2], [0.6, 0.6, 0.9, 0.9], [1, 3, 0.2, 0.5]), 0);
  assert.equal(withinEpochCorrelation([1, 1, 1], [1, 1, 1], [2, 1, 3]), 0);
});

test('from steps.csv text: by column name, skipping non-finite rows; null without the columns or rows', () => {
  const csv = 'step,epoch,batch,lr,loss,deformed_loss,grad_scale\n1,1,1,0.1,1,0,0.5\n2,1,2,0.1,NaN,0,0.2\n3,1,3,0.1,2,0,0.4\n4,1,4,0.1,3,0,0.3\n';
  assert.ok(Math.abs(scaleLossCorrelationOfCsv(csv)! + 1) < 1e-12);
  assert.equal(scaleLossCorrelationOfCsv('step,epoch,loss\n1,1,2\n'), null);
  assert.equal(scaleLossCorrelationOfCsv('step,epoch,batch,lr,loss,deformed_loss,grad_scale\n'), null);
});
