// Registry entries for CIFAR-10 and CIFAR-100 (binary or python version, folder or archive).
import { z } from 'zod';
import { InMemoryImageDataset } from '../inMemory.js';
import type { CommonDatasetOptions, DatasetEntry } from '../types.js';
import type { CifarName } from './layout.js';
import { loadCifarSource, type CifarFetchOptions } from './load.js';

const commonShape = {
  root: z.string().min(1).default('data').describe('folder holding the archive or its unpacked folder'),
  download: z.boolean().default(false).describe('fetch the archive into root first if it is missing'),
  format: z.enum(['auto', 'binary', 'python']).default('auto').describe('which official version to read; auto prefers binary'),
};
const cifar10Params = z.object(commonShape).strict();
const cifar100Params = z
  .object({ ...commonShape, labels: z.enum(['fine', 'coarse']).default('fine').describe('100 fine or 20 coarse classes') })
  .strict();

export type Cifar10Params = z.infer<typeof cifar10Params>;
export type Cifar100Params = z.infer<typeof cifar100Params>;

/** Builds the data set; `fetchOptions` lets tests and mirrors point `download` elsewhere. */
export async function createCifar(
  name: CifarName,
  params: Cifar10Params | Cifar100Params,
  common: CommonDatasetOptions,
  fetchOptions?: CifarFetchOptions,
): Promise<InMemoryImageDataset> {
  return new InMemoryImageDataset(await loadCifarSource(name, params, fetchOptions, common.signal), common);
}

export const cifar10Dataset: DatasetEntry<Cifar10Params> = {
  name: 'cifar10',
  description: 'CIFAR-10 32x32x3, 10 classes, 50,000 train / 10,000 test (official binary or python version)',
  params: cifar10Params,
  create: (params, common) => createCifar('cifar10', params, common),
  nominal: () => ({ inputShape: [32, 32, 3], numClasses: 10, trainSize: 50_000, testSize: 10_000 }),
};

export const cifar100Dataset: DatasetEntry<Cifar100Params> = {
  name: 'cifar100',
  description: 'CIFAR-100 32x32x3, 100 fine or 20 coarse classes, 50,000 train / 10,000 test (binary or python version)',
  params: cifar100Params,
  create: (params, common) => createCifar('cifar100', params, common),
  nominal: (params) => ({ inputShape: [32, 32, 3], numClasses: params.labels === 'coarse' ? 20 : 100, trainSize: 50_000, testSize: 10_000 }),
};
