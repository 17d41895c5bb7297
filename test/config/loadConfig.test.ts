// Loading good configs: extends chains, --set overrides, defaults, and the resolved YAML round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadExperiment } from '../../src/experiments/spec.js';
import { configToYaml, loadRunConfig } from '../../src/config/index.js';
import { mergeSourced } from '../../src/config/sourced.js';
import { writeFiles } from '../helpers/files.js';

const BASE = `name: base
epochs: 10
model: { name: mlp, hidden: [8] }
dataset: { name: synthetic, batch_size: 8, classes: 3 }
optimizer: { name: sgd, lr: 0.1, momentum: 0.5 }
vdm: { name: log, a: 2, apply: sample }
`;

test('extends merges mappings, the child winning key by key', () => {
  const dir = writeFiles({ 'base.yaml': BASE, 'child.yaml': 'extends: base.yaml\nname: child\noptimizer: { lr: 0.2 }\n' });
  const config = loadRunConfig(join(dir, 'child.yaml'));
  assert.equal(config.name, 'child');
  assert.equal(config.optimizer.lr, 0.2);
  assert.equal(config.optimizer.params.momentum, 0.5, 'kept from the base');
  assert.equal(config.epochs, 10);
});

test('changing a named block\'s name replaces the block, so parameters do not leak', () => {
  const dir = writeFiles({ 'base.yaml': BASE, 'child.yaml': 'extends: base.yaml\nvdm: { name: none }\n' });
  const config = loadRunConfig(join(dir, 'child.yaml'));
  assert.equal(config.vdm.name, 'none');
  assert.deepEqual(config.vdm.params, {});
  assert.equal(config.vdm.options.apply, 'batch', 'back to the default, not the base log block');
});

test('--set overrides nested values, parsed as YAML', () => {
  const dir = writeFiles({ 'c.yaml': BASE });
  const config = loadRunConfig(join(dir, 'c.yaml'), ['optimizer.lr=0.05', 'model.hidden=[4, 4]', 'optimizer.nesterov=true', 'seed=9']);
  assert.equal(config.optimizer.lr, 0.05);
  assert.deepEqual(config.model.params.hidden, [4, 4]);
  assert.equal(config.optimizer.params.nesterov, true);
  assert.equal(config.seed, 9);
});

test('defaults are filled and the name defaults to the file name', () => {
  const dir = writeFiles({ 'my-run.yaml': BASE.replace('name: base\n', '') });
  const config = loadRunConfig(join(dir, 'my-run.yaml'));
  assert.equal(config.name, 'my-run');
  assert.equal(config.seed, 1);
  assert.equal(config.backend, 'auto');
  assert.equal(config.output, 'results');
  assert.equal(config.schedule.name, 'constant');
  assert.equal(config.optimizer.weight_decay, 0);
  assert.deepEqual(config.vdm.params, { a: 2, b: 1 });
});

test('the resolved config written to a run folder loads back to the same config', () => {
  const dir = writeFiles({ 'c.yaml': BASE });
  const config = loadRunConfig(join(dir, 'c.yaml'));
  const again = join(dir, 'resolved.yaml');
  writeFileSync(again, configToYaml(config));
  const reloaded = loadRunConfig(again);
  assert.deepEqual({ ...reloaded, source: '' }, { ...config, source: '' });
});

test('every config and experiment shipped in configs/ loads', () => {
  const files = readdirSync('configs', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('recipes'))
    .map((f) => join('configs', f));
  assert.ok(files.length >= 30, `${files.length} configs`);
  for (const file of files) {
    const experiment = 'experiment' in (parse(readFileSync(file, 'utf8')) as object);
    assert.doesNotThrow(() => (experiment ? loadExperiment(file) : loadRunConfig(file)), file);
  }
});

test('merging: a value replaced whole takes its locations along; merged mappings keep both files\' lines', () => {
  const at = (file: string, path: string, line: number) => ({ file, path, line });
  const base = {
    value: { model: { name: 'mlp', hidden: [8, 8] }, seed: 1 },
    locations: new Map([
      ['model', at('base', 'model', 1)],
      ['model.name', at('base', 'model.name', 2)],
      ['model.hidden', at('base', 'model.hidden', 3)],
      ['model.hidden[1]', at('base', 'model.hidden[1]', 3)],
      ['seed', at('base', 'seed', 4)],
    ]),
  };
  const over = { value: { model: { hidden: 16 } }, locations: new Map([['model.hidden', at('over', 'model.hidden', 9)]]) };
  const merged = mergeSourced(base, over);
  assert.deepEqual(merged.value, { model: { name: 'mlp', hidden: 16 }, seed: 1 });
  assert.deepEqual([...merged.locations.keys()].sort(), ['model', 'model.hidden', 'model.name', 'seed']);
  assert.equal(merged.locations.get('model.hidden')?.file, 'over');
  assert.equal(merged.locations.get('model.name')?.file, 'base');
});
