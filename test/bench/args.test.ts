import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchFlagError, parseBenchArgs } from '../../bench/args.js';

test('bench args: parts, switches and valued flags in both spellings', () => {
  const { parts, flags } = parseBenchArgs(['training', '--profile', '--threads', '1,2', '--model=wrn', '--torch']);
  assert.deepEqual(parts, ['training']);
  assert.deepEqual(Object.fromEntries(flags), { profile: 'true', threads: '1,2', model: 'wrn', torch: 'true' });
});

const badInputs: [string[], RegExp][] = [
  [['training', '--modle', 'wrn'], /unknown flag --modle; valid: .*--model/],
  [['training', '--model'], /--model needs a value/],
  [['training', '--threads', '--profile'], /--threads needs a value/],
  [['training', '--profile=yes'], /--profile takes no value/],
];
for (const [argv, message] of badInputs) {
  test(`bench args: ${argv.join(' ')} is a one-line error`, () => {
    assert.throws(() => parseBenchArgs(argv), (error: Error) => error instanceof BenchFlagError && message.test(error.message) && !error.message.includes('\n'));
  });
}
