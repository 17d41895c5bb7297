// The fixed examples flatness is measured on: a seeded, class-balanced subset of the training
// split, read in one pass without augmentation (per-class reservoir sampling), so even a data set
// decoded on the fly (ImageNet) is read once and only the chosen images are kept.
import type { Batch, Dataset, Split } from '../datasets/types.js';
import { RandomStream } from '../random.js';

interface Example {
  readonly index: number;
  readonly x: Float32Array;
  readonly label: number;
}

/** Keeps a uniform random `capacity` of each class's examples as they stream past (Algorithm R). */
class ClassReservoirs {
  private readonly kept: Example[][];
  private readonly seen: number[];

  constructor(numClasses: number, private readonly capacity: number, private readonly rng: RandomStream) {
    this.kept = Array.from({ length: numClasses }, () => []);
    this.seen = new Array<number>(numClasses).fill(0);
  }

  offer(index: number, label: number, read: () => Float32Array): void {
    const seen = ++this.seen[label];
    const kept = this.kept[label];
    if (kept.length < this.capacity) kept.push({ index, x: read(), label });
    else {
      const slot = this.rng.int(seen);
      if (slot < this.capacity) kept[slot] = { index, x: read(), label };
    }
  }

  /** Round-robin over the classes (each reservoir in a seeded order) until `count` are taken. */
  take(count: number): Example[] {
    for (const kept of this.kept) this.rng.shuffle(kept);
    const picked: Example[] = [];
    for (let round = 0; round < this.capacity && picked.length < count; round++) {
      for (const kept of this.kept) if (round < kept.length && picked.length < count) picked.push(kept[round]);
    }
    return picked.sort((a, b) => a.index - b.index);
  }
}

/**
 * Up to `count` training examples, as balanced over the classes as the split allows, in batches
 * of `batchSize`. Fewer only when the split (or a small class) has fewer: the caller reports the
 * number actually used.
 */
export async function balancedTrainingSubset(dataset: Dataset, count: number, batchSize: number, seed: number): Promise<Batch[]> {
  return balancedSubset(dataset, 'train', count, batchSize, seed);
}

/** The same from either split (landscapes also read the test split). */
export async function balancedSubset(dataset: Dataset, split: Split, count: number, batchSize: number, seed: number): Promise<Batch[]> {
  const [h, w, c] = dataset.inputShape;
  const imageSize = h * w * c;
  const capacity = Math.ceil(count / dataset.numClasses);
  // The training split keeps its original stream, so earlier flatness figures stay reproducible.
  const stream = split === 'train' ? RandomStream.derive(seed, 'flatness', 'subset') : RandomStream.derive(seed, 'flatness', 'subset', split);
  const reservoirs = new ClassReservoirs(dataset.numClasses, capacity, stream);
  let index = 0;
  // No rng: the data set's fixed order and no augmentation.
  for await (const batch of dataset.batches(split, { batchSize })) {
    for (let k = 0; k < batch.size; k++, index++) {
      reservoirs.offer(index, batch.y[k], () => batch.x.slice(k * imageSize, (k + 1) * imageSize));
    }
  }
  const picked = reservoirs.take(count);
  const batches: Batch[] = [];
  for (let start = 0; start < picked.length; start += batchSize) {
    const members = picked.slice(start, start + batchSize);
    const x = new Float32Array(members.length * imageSize);
    members.forEach((example, k) => x.set(example.x, k * imageSize));
    batches.push({ x, y: Int32Array.from(members, (example) => example.label), size: members.length });
  }
  return batches;
}
