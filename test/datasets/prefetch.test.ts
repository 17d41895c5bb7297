import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefetched } from '../../src/datasets/prefetch.js';

function countingJobs(total: number, started: number[], failAt = -1): Iterable<() => Promise<number>> {
  return Array.from({ length: total }, (_, i) => async () => {
    started.push(i);
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (i === failAt) throw new Error(`job ${i} failed`);
    return i * 10;
  });
}

test('yields every result in order, never more than depth jobs ahead of the consumer', async () => {
  const started: number[] = [];
  const seen: number[] = [];
  for await (const value of prefetched(countingJobs(7, started), 2)) {
    // the consumed item plus at most `depth` started after it
    assert.ok(started.length <= seen.length + 1 + 2, `started ${started.length} while at item ${seen.length}`);
    seen.push(value);
  }
  assert.deepEqual(seen, [0, 10, 20, 30, 40, 50, 60]);
});

test('a failing job surfaces when the consumer reaches it', async () => {
  const started: number[] = [];
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const value of prefetched(countingJobs(5, started, 2), 3)) seen.push(value);
  }, /job 2 failed/);
  assert.deepEqual(seen, [0, 10]);
});
