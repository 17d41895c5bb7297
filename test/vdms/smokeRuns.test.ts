// Every VDM trains: each configs/resnet20-c100-<vdm>.yaml runs end to end through the real
// trainer, shrunk to a small MLP on a tiny synthetic data set on the cpu backend (the VDM, the
// optimizer and the schedule stay as configured).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { trainRun } from '../../src/run/trainRun.js';
import { loadRunConfig } from '../../src/config/index.js';
import { vdms } from '../../src/vdms/index.js';
import { tempDir } from '../helpers/files.js';

before(async () => {
  await selectBackend('cpu');
});

const shrink = (output: string) => [
  'backend=cpu',
  'epochs=2',
  'model={name: mlp, hidden: [16]}',
  `output=${output}`,
  'dataset={name: synthetic, shape: [8, 8, 3], classes: 4, size: 32, test_size: 16, batch_size: 16, augment: standard}',
];

// recorded_scale needs a source run's steps.csv: test/experiments/controls.test.ts trains it.
for (const entry of vdms.entries().filter((e) => e.stepSlopes === undefined)) {
  const file = join('configs', `resnet20-c100-${entry.name === 'none' ? 'baseline' : entry.name}.yaml`);
  test(`smoke run: ${file} (${entry.name})`, async () => {
    assert.ok(existsSync(file), `${file} exists`);
    const config = loadRunConfig(file, shrink(tempDir()));
    assert.equal(config.vdm.name, entry.name);
    const { history } = await trainRun({ config, plain: true, log: () => {} });
    assert.equal(history.length, 2);
    for (const m of history) {
      assert.ok(Number.isFinite(m.train_loss) && Number.isFinite(m.deformed_loss), `finite losses in epoch ${m.epoch}`);
      assert.ok(m.grad_scale > 0 && Number.isFinite(m.grad_scale), `grad_scale ${m.grad_scale}`);
    }
    if (entry.name === 'none') assert.equal(history[0].grad_scale, 1);
  });
}
