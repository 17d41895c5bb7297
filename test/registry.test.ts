// The generic registry: lookups, suggestions for typos, duplicates refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, closestName } from '../src/registry.js';
import { UnknownNameError } from '../src/errors.js';
import { models } from '../src/models/index.js';

test('a lookup failure names the kind, the bad name, the closest valid one and all valid names', () => {
  assert.throws(() => models.get('resnet2'), (e: unknown) => {
    assert.ok(e instanceof UnknownNameError);
    assert.match(e.message, /^unknown model 'resnet2'; did you mean 'resnet20'\? \(valid: mlp, lenet5, resnet20, /);
    return true;
  });
});

test('no suggestion when nothing is close', () => {
  assert.equal(closestName('transformer', ['mlp', 'lenet5']), undefined);
  assert.equal(closestName('c', ['a', 'b']), undefined);
  assert.equal(closestName('Resnet56', ['resnet56']), 'resnet56');
});

test('duplicate names are refused', () => {
  const entry = { name: 'x', description: 'd' };
  assert.throws(() => new Registry('thing', [entry, entry]), /duplicate thing 'x'/);
});

test('has, names and entries list what was registered, in order', () => {
  const r = new Registry('thing', [{ name: 'a', description: '' }, { name: 'b', description: '' }]);
  assert.ok(r.has('a') && !r.has('c'));
  assert.deepEqual(r.names(), ['a', 'b']);
  assert.equal(r.entries().length, 2);
});
