// Seeded random streams: reproducible, independent by purpose, and exactly restorable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomStream } from '../src/random.js';

const draw = (s: RandomStream, n: number) => Array.from({ length: n }, () => s.nextUint32());

test('the same seed and purpose give the same stream; other purposes and seeds differ', () => {
  assert.deepEqual(draw(RandomStream.derive(1, 'init'), 5), draw(RandomStream.derive(1, 'init'), 5));
  assert.notDeepEqual(draw(RandomStream.derive(1, 'init'), 5), draw(RandomStream.derive(1, 'data', 1), 5));
  assert.notDeepEqual(draw(RandomStream.derive(1, 'init'), 5), draw(RandomStream.derive(2, 'init'), 5));
});

test('a saved state restores the exact continuation', () => {
  const s = RandomStream.derive(3, 'x');
  draw(s, 10);
  const state = s.getState();
  const next = draw(s, 5);
  const restored = new RandomStream(state);
  assert.deepEqual(draw(restored, 5), next);
});

test('uniform, normal and permutation have the right distributions', () => {
  const s = RandomStream.derive(4, 'stats');
  const n = 20000;
  const u = Array.from({ length: n }, () => s.uniform());
  assert.ok(u.every((x) => x >= 0 && x < 1));
  assert.ok(Math.abs(u.reduce((a, b) => a + b) / n - 0.5) < 0.01);
  const z = Array.from({ length: n }, () => s.normal());
  const mean = z.reduce((a, b) => a + b) / n;
  const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
  const perm = s.permutation(100);
  assert.deepEqual([...perm].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
});
