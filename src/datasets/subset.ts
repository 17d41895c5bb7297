// Deterministic, class-balanced subsets for smoke runs: the same seed picks the same images.
import { RandomStream } from '../random.js';
import { DataError } from '../errors.js';

/**
 * Indices of `count` examples spread as evenly as the classes allow (round-robin over a
 * seeded shuffle of each class), returned in ascending order.
 */
export function balancedSubset(
  labels: ArrayLike<number>,
  numClasses: number,
  count: number,
  seed: number,
  what: string,
): Int32Array {
  if (!Number.isInteger(count) || count <= 0) {
    throw new DataError(`${what}: subset size must be a positive integer, got ${count}`);
  }
  if (count > labels.length) {
    throw new DataError(`${what}: subset of ${count} asked for, but the split has only ${labels.length} examples`);
  }
  const rng = RandomStream.derive(seed, 'subset', what);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  for (const members of byClass) rng.shuffle(members);

  const picked: number[] = [];
  for (let round = 0; picked.length < count; round++) {
    for (const members of byClass) {
      if (round < members.length && picked.length < count) picked.push(members[round]);
    }
  }
  return Int32Array.from(picked).sort();
}
