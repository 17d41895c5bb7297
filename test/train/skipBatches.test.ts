// Resuming mid-epoch asks the data set to skip the batches already trained: the batches after
// them must be exactly those of the full epoch (same order, same augmentation draws), for every
// kind of data set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasets } from '../../src/datasets/index.js';
import { ImageFolderDataset } from '../../src/datasets/imageFolder/dataset.js';
import { scanImageFolder } from '../../src/datasets/imageFolder/scan.js';
import type { Batch, Dataset } from '../../src/datasets/types.js';
import { RandomStream } from '../../src/random.js';
import { rawPng } from '../datasets/fixtures/images.js';
import { tempDir } from '../helpers/files.js';

async function collect(dataset: Dataset, skip?: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of dataset.batches('train', { batchSize: 3, rng: RandomStream.derive(5, 'data', 2), skip })) out.push(batch);
  return out;
}

/** An image folder of noisy (not solid) PNGs, so that every crop and flip shows in the pixels. */
async function noisyFolder(): Promise<Dataset> {
  const root = tempDir();
  const rng = RandomStream.derive(1, 'pixels');
  for (const split of ['train', 'val']) {
    for (const name of ['a', 'b', 'c']) {
      mkdirSync(join(root, split, name), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const pixels = Uint8Array.from({ length: 20 * 20 * 3 }, () => rng.int(256));
        writeFileSync(join(root, split, name, `${i}.png`), await rawPng(20, 20, pixels));
      }
    }
  }
  const index = await scanImageFolder(root, 'train', 'val');
  return new ImageFolderDataset(index, { name: 'noisy', root, imageSize: 16, workers: 1, prefetch: 2 }, { seed: 1, augment: 'standard' });
}

const KINDS: Record<string, () => Promise<Dataset>> = {
  'in-memory (synthetic)': async () => {
    const entry = datasets.get('synthetic');
    return entry.create(entry.params.parse({ shape: [8, 8, 3], classes: 3, size: 12, test_size: 3 }), { seed: 1, augment: 'standard' });
  },
  'image folder': noisyFolder,
};

for (const [kind, make] of Object.entries(KINDS)) {
  test(`${kind}: skipping k batches yields exactly the full epoch's batches after the k-th`, async () => {
    const dataset = await make();
    try {
      const full = await collect(dataset);
      assert.equal(full.length, 4);
      for (const skip of [1, 3, 4]) assert.deepEqual(await collect(dataset, skip), full.slice(skip), `skip ${skip}`);
      assert.notDeepEqual(full[1].x, (await collect(dataset))[0].x, 'batches differ, so the check can fail');
    } finally {
      await dataset.close?.();
    }
  });
}
