// A bounded look-ahead over async work: starts up to `depth` items ahead of the consumer and
// yields them in order, so the next batches are being prepared while the current one trains.

/**
 * Yields the results of `jobs` in order, with at most `depth` started but not yet consumed.
 * A job's failure surfaces when the consumer reaches it, not earlier.
 */
export async function* prefetched<T>(jobs: Iterable<() => Promise<T>>, depth: number): AsyncIterableIterator<T> {
  const iterator = jobs[Symbol.iterator]();
  const started: Promise<T>[] = [];
  const startNext = (): void => {
    const next = iterator.next();
    if (next.done) return;
    const promise = next.value();
    promise.catch(() => {}); // awaited below; this only stops an early 'unhandled rejection'
    started.push(promise);
  };
  for (let i = 0; i < Math.max(1, depth); i++) startNext();
  while (started.length > 0) {
    const current = started.shift()!;
    startNext();
    yield await current;
  }
}
