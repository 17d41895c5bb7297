// The data set registry: the one place a config's dataset name becomes a Dataset.
import { Registry } from '../registry.js';
import { cifar10Dataset, cifar100Dataset } from './cifar/index.js';
import { imageFolderDataset, imagenetDataset } from './imageFolder/index.js';
import { mnistDataset } from './mnist.js';
import { syntheticDataset } from './synthetic.js';
import type { DatasetEntry } from './types.js';

export const datasets = new Registry<DatasetEntry>('dataset', [
  mnistDataset,
  syntheticDataset,
  cifar10Dataset,
  cifar100Dataset,
  imagenetDataset,
  imageFolderDataset,
]);
