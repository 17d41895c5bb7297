// Command-line overrides: which words are overrides, Hydra's forms refused, and the folder name a
// run gets when its overrides change what it trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadRunConfig } from '../../src/config/index.js';
import { overriddenName, splitPositionals } from '../../src/config/overrides.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

const NAMES: [string, string[], string | RegExp][] = [
  ['no overrides', [], 'quick'],
  ['placement only (name, output, seed)', ['output=/tmp/x', 'seed=3'], 'quick'],
  ['one setting, by its last key segment', ['optimizer.lr=0.01'], 'quick,lr=0.01'],
  ['sorted by key, whatever the order typed', ['optimizer.lr=0.01', 'epochs=2'], 'quick,epochs=2,lr=0.01'],
  ['the same settings typed the other way', ['epochs=2', 'optimizer.lr=0.01'], 'quick,epochs=2,lr=0.01'],
  ['values canonical (0.010 is 0.01)', ['optimizer.lr=0.010'], 'quick,lr=0.01'],
  ['a repeated key: the last wins', ['epochs=1', 'epochs=4'], 'quick,epochs=4'],
  ['two keys ending alike keep their paths', ['optimizer.name=adam', 'vdm.name=log'], 'quick,optimizer.name=adam,vdm.name=log'],
  ['a value made folder-safe gets a hash', ['model.hidden=[32, 16]'], /^quick,hidden=_32_16_-[0-9a-f]{6}$/],
  ['a long name is cut and hashed', Array.from({ length: 12 }, (_, i) => `vdm.k${i}=${i}000000`), /^quick,k0=0,k1=1000000,.{40,}-[0-9a-f]{6}$/],
];
for (const [title, overrides, expected] of NAMES) {
  test(`overriddenName: ${title}`, () => {
    const name = overriddenName('quick', overrides);
    if (typeof expected === 'string') assert.equal(name, expected);
    else assert.match(name, expected);
    assert.ok(name.length <= 80, name);
    assert.match(name, /^[A-Za-z0-9][A-Za-z0-9._,=-]*$/, 'a valid config name');
  });
}

test('overriddenName: different long overrides never share a name', () => {
  const long = (last: number) => [...Array.from({ length: 12 }, (_, i) => `vdm.k${i}=${i}000000`), `vdm.z=${last}`];
  assert.notEqual(overriddenName('q', long(1)), overriddenName('q', long(2)));
});

const WORDS: [string, string[], { files: string[]; overrides: string[] } | RegExp][] = [
  ['a file and overrides', ['c.yaml', 'optimizer.lr=0.01', 'epochs=2'], { files: ['c.yaml'], overrides: ['optimizer.lr=0.01', 'epochs=2'] }],
  ['overrides only', ['epochs=2'], { files: [], overrides: ['epochs=2'] }],
  ['a path with = in a folder name is a file', ['runs/a=b/c.yaml'], { files: ['runs/a=b/c.yaml'], overrides: [] }],
  ["Hydra's +key=value", ['+optimizer.nesterov=true'], /^'\+optimizer\.nesterov=true': vdm takes key=value overrides only; Hydra's \+key=value and ~key forms are not supported/],
  ["Hydra's ~key", ['~vdm'], /^'~vdm': vdm takes key=value overrides only/],
  ['a bad key', ['optimizer..lr=1'], /^'optimizer\.\.lr=1' is not of the form key\.path=value/],
  ['two files', ['a.yaml', 'b.yaml'], /^vdm train takes one config file, got 'a\.yaml' and 'b\.yaml'/],
];
for (const [title, words, expected] of WORDS) {
  test(`splitPositionals: ${title}`, () => {
    if (expected instanceof RegExp) {
      assert.throws(() => splitPositionals(words, 'train'), (e: unknown) => e instanceof UsageError && expected.test(e.message));
    } else {
      assert.deepEqual(splitPositionals(words, 'train'), expected);
    }
  });
}

test('loadRunConfig: overrides rename the run; name= and --name choose it', () => {
  const dir = writeFiles({ 'c.yaml': tinyConfigYaml(join(tempDir(), 'r')) });
  const file = join(dir, 'c.yaml');
  assert.equal(loadRunConfig(file).name, 'tiny');
  assert.equal(loadRunConfig(file, ['epochs=1']).name, 'tiny', 'a library call keeps the name unless asked');
  const rename = { renameByOverrides: true };
  const overridden = loadRunConfig(file, ['optimizer.lr=0.01', 'epochs=1'], rename);
  assert.equal(overridden.name, 'tiny,epochs=1,lr=0.01');
  assert.equal(overridden.optimizer.lr, 0.01);
  assert.equal(overridden.epochs, 1);
  assert.equal(loadRunConfig(file, ['seed=3'], rename).name, 'tiny', 'a seed has its own folder already');
  assert.equal(loadRunConfig(file, ['epochs=1', 'name=short'], rename).name, 'short');
  assert.equal(loadRunConfig(file, ['epochs=1'], { ...rename, name: 'mine' }).name, 'mine');
  assert.throws(() => loadRunConfig(file, [], { name: 'a b' }), (e: unknown) => e instanceof ConfigError && /--set: name: .*use letters, digits/.test(e.message));
});

test('--set refuses Hydra forms with one located line', () => {
  const dir = writeFiles({ 'c.yaml': tinyConfigYaml('r') });
  assert.throws(
    () => loadRunConfig(join(dir, 'c.yaml'), ['+epochs=1']),
    (e: unknown) => e instanceof ConfigError && /^--set: \+epochs=1: vdm takes key=value overrides only/.test(e.message),
  );
});
