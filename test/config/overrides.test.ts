// Command-line overrides: which words are overrides, what one word means (Hydra's other grammar
// answered in one line), the set they form (order never matters), and the folder name a run
// gets from the resolved differences they make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadRunConfig, toPlainConfig } from '../../src/config/index.js';
import { parseOverrideWord, splitPositionals } from '../../src/config/overrides.js';
import { overriddenName } from '../../src/config/runName.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { tempDir, writeFiles } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

/** The tiny config (lr 0.05, hidden [32], vdm log), with a subset to unset. */
const file = join(writeFiles({ 'c.yaml': tinyConfigYaml(join(tempDir(), 'r')).replace('batch_size: 16 }', 'batch_size: 16, subset: { train: 64 } }') }), 'c.yaml');
const renamed = (words: string[]) => loadRunConfig(file, words, { renameByOverrides: true });
const HASH = '[0-9a-f]{6}';

const NAMES: [string, string[], string | RegExp][] = [
  ['no overrides', [], 'tiny'],
  ['placement only (output, seed, backend)', ['output=/tmp/x', 'seed=3', 'backend=wasm'], 'tiny'],
  ['a key set to the value it has (5e-2 is 0.05)', ['optimizer.lr=5e-2'], 'tiny'],
  ['a block set to its own name', ['vdm.name=log'], 'tiny'],
  ['one setting, by its last key segment, and a hash', ['optimizer.lr=0.01'], new RegExp(`^tiny,lr=0\\.01-${HASH}$`)],
  ['sorted by key', ['optimizer.lr=0.01', 'epochs=2'], new RegExp(`^tiny,epochs=2,lr=0\\.01-${HASH}$`)],
  ['a key at its own value adds nothing to the others', ['optimizer.lr=0.05', 'epochs=2'], new RegExp(`^tiny,epochs=2-${HASH}$`)],
  ['a repeated key: the last wins', ['epochs=1', 'epochs=4'], new RegExp(`^tiny,epochs=4-${HASH}$`)],
  ['two keys ending alike keep their paths', ['optimizer.name=adam', 'optimizer.lr=0.001', 'vdm.name=exp'], new RegExp(`^tiny,lr=0\\.001,optimizer\\.name=adam,vdm\\.name=exp-${HASH}$`)],
  ['a list item names the list', ['model.hidden.0=16'], new RegExp(`^tiny,hidden=_16_-${HASH}$`)],
  ['an unset key is null', ['dataset.subset=null'], new RegExp(`^tiny,subset=null-${HASH}$`)],
  ['a long name is cut before the hash', [`model.hidden=[${Array(12).fill(100000).join(',')}]`], new RegExp(`^tiny,hidden=_100000_100000_.*-${HASH}$`)],
];
for (const [title, words, expected] of NAMES) {
  test(`run name: ${title}`, () => {
    const { name } = renamed(words);
    if (typeof expected === 'string') assert.equal(name, expected);
    else assert.match(name, expected);
    assert.ok(name.length <= 80, name);
    assert.match(name, /^[A-Za-z0-9][A-Za-z0-9._,=-]*$/, 'a valid config name');
  });
}

test('run name: the hash tells apart configs whose labels agree', () => {
  const after = (lr: number) => ({ optimizer: { lr }, vdm: { name: 'exp' } });
  const before = { optimizer: { lr: 0.1 }, vdm: { name: 'log' } };
  const one = overriddenName('q', [{ before, after: after(0.01) }], [['vdm', 'name']]);
  const two = overriddenName('q', [{ before, after: after(0.02) }], [['vdm', 'name']]);
  assert.match(one, /^q,name=exp-[0-9a-f]{6}$/);
  assert.notEqual(one, two, 'lr differs, though only vdm.name was typed');
  assert.equal(overriddenName('q', [{ before, after: before }], [['vdm', 'name']]), 'q');
});

/** Every order of `words`. */
function permutations<T>(words: readonly T[]): T[][] {
  if (words.length <= 1) return [[...words]];
  return words.flatMap((word, i) => permutations([...words.slice(0, i), ...words.slice(i + 1)]).map((rest) => [word, ...rest]));
}

const SETS: [string, string[], (c: ReturnType<typeof renamed>) => void][] = [
  ['a block-name change keeps the same line\'s parameters of that block', ['vdm.a=0.3', 'vdm.name=exp', 'optimizer.lr=0.01'], (c) => {
    assert.equal(c.vdm.name, 'exp');
    assert.deepEqual(c.vdm.params, { a: 0.3 });
    assert.equal(c.optimizer.lr, 0.01);
  }],
  ['a mapping, a list item inside it, and a plain key', ['model={name: mlp, hidden: [8, 4]}', 'model.hidden.0=16', 'epochs=2'], (c) => {
    assert.deepEqual(c.model.params.hidden, [16, 4]);
    assert.equal(c.epochs, 2);
  }],
  ['an unset key, a default restored, a list item', ['dataset.subset=null', 'optimizer.weight_decay=null', 'model.hidden.0=16'], (c) => {
    assert.equal(c.dataset.subset, undefined);
    assert.equal(c.optimizer.weight_decay, 0);
    assert.deepEqual(c.model.params.hidden, [16]);
  }],
];
for (const [title, words, check] of SETS) {
  test(`overrides are one set: every order of ${words.join(' ')} resolves to one config and one folder (${title})`, () => {
    const configs = permutations(words).map(renamed);
    assert.equal(configs.length, 6);
    for (const config of configs) {
      check(config);
      assert.deepEqual(toPlainConfig(config), toPlainConfig(configs[0]));
    }
    assert.match(configs[0].name, new RegExp(`^tiny,.*-${HASH}$`));
  });
}

const WORDS: [string, string[], { files: string[]; overrides: string[] } | RegExp][] = [
  ['a file and overrides', ['c.yaml', 'optimizer.lr=0.01', 'epochs=2'], { files: ['c.yaml'], overrides: ['optimizer.lr=0.01', 'epochs=2'] }],
  ['overrides only', ['epochs=2'], { files: [], overrides: ['epochs=2'] }],
  ['a list index', ['model.hidden.0=16'], { files: [], overrides: ['model.hidden.0=16'] }],
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

const BAD_WORDS: [string, RegExp][] = [
  ['optimizer.lr=0.01,0.05', /^--set: optimizer\.lr: '0\.01,0\.05' is a list of values \(Hydra's multirun\); sweep them with vdm run FILE --sweep optimizer\.lr=0\.01,0\.05, or quote/],
  ['epochs=range(1,5)', /^--set: epochs: range\(\) is Hydra's sweep syntax; sweep with vdm run FILE --sweep epochs=1,2,3,4$/],
  ['optimizer.lr=range(0.1, 0.4, 0.1)', /--sweep optimizer\.lr=0\.1,0\.2,0\.3$/],
  ['vdm.name=choice(log, exp)', /^--set: vdm\.name: choice\(\) is Hydra's sweep syntax; sweep with vdm run FILE --sweep vdm\.name=log,exp$/],
  ['vdm.a=interval(0,1)', /^--set: vdm\.a: Hydra's interval\(\) is not supported; list the values to sweep/],
  ['dataset.root=${oc.env:HOME}/data', /^--set: dataset\.root: \$\{\.\.\.\} interpolation is not supported; write the value itself/],
  ['epochs=', /^--set: epochs: no value after '='; give one, or write epochs=null to unset the key$/],
  ['model.hidden.0=null', /^--set: model\.hidden\.0: a list item cannot be unset; set the whole list instead/],
  ['model.hidden=[1', /^--set: model\.hidden: cannot read the value as YAML/],
  ['a.__proto__=1', /the key '__proto__' is not allowed/],
];
for (const [word, message] of BAD_WORDS) {
  test(`parseOverrideWord refuses '${word}' in one located line`, () => {
    assert.throws(() => parseOverrideWord(word), (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));
  });
}

test('parseOverrideWord: a quoted comma is a text; name= takes commas; null and ~ unset', () => {
  assert.equal(parseOverrideWord('dataset.root="a,b"').value, 'a,b');
  assert.equal(parseOverrideWord('name=quick,lr=0.1').value, 'quick,lr=0.1');
  assert.deepEqual(parseOverrideWord('model.hidden.1=8').path, ['model', 'hidden', 1]);
  for (const word of ['vdm.end_epoch=null', 'vdm.end_epoch=~']) assert.equal(parseOverrideWord(word).unset, true);
});

const BAD_SETS: [string, string[], RegExp][] = [
  ['a required key unset', ['optimizer.lr=null'], /^--set: optimizer\.lr: required, so it cannot be unset with null; give it a value$/],
  ['a required block unset', ['model=null'], /^--set: model: required, so it cannot be unset with null/],
  ['an index past the end', ['model.hidden.3=16'], /^--set: model\.hidden\.3: model\.hidden has 1 item \(indices 0-0\); 3 is past its end/],
  ['an index into a number', ['optimizer.lr.0=1'], /^--set: optimizer\.lr\.0: optimizer\.lr is not a list \(it is 0\.05\), so it has no item 0$/],
  ['an index into a misspelt key', ['model.hiden.0=1'], /^--set: model\.hiden\.0: model\.hiden is not set, so it has no item 0 \(is the key spelt right\?\)$/],
  ['a key inside a scalar', ['vdm=none', 'vdm.a=1'], /^--set: vdm\.a: reaches inside vdm, but vdm sets it to "none"; give one of the two$/],
  ['a key inside an unset one', ['vdm.a=1', 'vdm=null'], /^--set: vdm\.a: reaches inside vdm, but vdm=null unsets it/],
];
for (const [title, words, message] of BAD_SETS) {
  test(`loadRunConfig refuses ${title} in one located line`, () => {
    assert.throws(() => loadRunConfig(file, words), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  });
}

test('loadRunConfig: overrides rename the run; name= and --name choose it', () => {
  assert.equal(loadRunConfig(file).name, 'tiny');
  assert.equal(loadRunConfig(file, ['epochs=1']).name, 'tiny', 'a library call keeps the name unless asked');
  const overridden = renamed(['optimizer.lr=0.01', 'epochs=1']);
  assert.match(overridden.name, new RegExp(`^tiny,epochs=1,lr=0\\.01-${HASH}$`));
  assert.equal(overridden.optimizer.lr, 0.01);
  assert.equal(overridden.epochs, 1);
  assert.equal(renamed(['seed=3']).name, 'tiny', 'a seed has its own folder already');
  assert.equal(renamed(['epochs=1', 'name=short']).name, 'short');
  assert.equal(loadRunConfig(file, ['epochs=1'], { renameByOverrides: true, name: 'mine' }).name, 'mine');
  assert.throws(() => loadRunConfig(file, [], { name: 'a b' }), (e: unknown) => e instanceof ConfigError && /--set: name: .*use letters, digits/.test(e.message));
});

test('--set refuses Hydra forms with one located line', () => {
  assert.throws(
    () => loadRunConfig(file, ['+epochs=1']),
    (e: unknown) => e instanceof ConfigError && /^--set: \+epochs=1: vdm takes key=value overrides only/.test(e.message),
  );
});
