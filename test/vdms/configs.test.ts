// Every VDM has a ResNet-20/CIFAR-100 config extending the baseline, whose vdm block is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { vdms } from '../../src/vdms/index.js';
import { VDM_OPTION_KEYS, vdmOptionsSchema } from '../../src/vdms/options.js';
import { checkDeformation } from '../../src/vdms/validate.js';

// recorded_scale reads another run's steps.csv, so it has no config of its own: the step-size
// control makes it (test/experiments/controls.test.ts trains it).
for (const entry of vdms.entries().filter((e) => e.name !== 'none' && e.stepSlopes === undefined)) {
  test(`configs/resnet20-c100-${entry.name}.yaml extends the baseline with a valid ${entry.name} block`, () => {
    const config = parse(readFileSync(new URL(`../../configs/resnet20-c100-${entry.name}.yaml`, import.meta.url), 'utf8'));
    assert.equal(config.extends, 'resnet20-c100-baseline.yaml');
    assert.equal(config.name, `resnet20-c100-${entry.name}`);
    const { name, ...rest } = config.vdm;
    assert.equal(name, entry.name);
    const optionKeys = new Set<string>(VDM_OPTION_KEYS);
    const options = vdmOptionsSchema.parse(Object.fromEntries(Object.entries(rest).filter(([k]) => optionKeys.has(k))));
    const params = entry.params.parse(Object.fromEntries(Object.entries(rest).filter(([k]) => !optionKeys.has(k))));
    assert.equal(checkDeformation({ entry, params, options }), undefined);
  });
}
