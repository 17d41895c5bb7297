// Registry entries for ImageNet and any other data set in the image-folder layout.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { DatasetEntry } from '../types.js';
import { ImageFolderDataset } from './dataset.js';
import { scanImageFolder } from './scan.js';

function folderParams(defaultRoot?: string) {
  return z
    .object({
      root: defaultRoot === undefined ? z.string().min(1) : z.string().min(1).default(defaultRoot),
      image_size: z.number().int().min(8).max(1024).default(224).describe('side of the square input (Imagenette 160, Tiny-ImageNet 64, ...)'),
      workers: z.number().int().min(1).max(256).default(availableParallelism()).describe('decode threads; default = cores'),
      prefetch: z.number().int().min(1).max(64).default(2).describe('batches decoded ahead of training'),
      train_dir: z.string().min(1).default('train'),
      test_dir: z.string().min(1).default('val'),
    })
    .strict();
}

const imageFolderParams = folderParams();
const imagenetParams = folderParams('data/imagenet');
export type ImageFolderParams = z.infer<typeof imageFolderParams>;

async function createImageFolder(name: string, params: ImageFolderParams, common: Parameters<DatasetEntry['create']>[1]) {
  const index = await scanImageFolder(params.root, params.train_dir, params.test_dir);
  return new ImageFolderDataset(
    index,
    { name, root: params.root, imageSize: params.image_size, workers: params.workers, prefetch: params.prefetch },
    common,
  );
}

export const imageFolderDataset: DatasetEntry<ImageFolderParams> = {
  name: 'image_folder',
  description: 'any data set laid out as root/train/<class>/*.jpg and root/val/<class>/*.jpg, decoded by worker threads',
  params: imageFolderParams,
  create: (params, common) => createImageFolder('image_folder', params, common),
};

export const imagenetDataset: DatasetEntry<ImageFolderParams> = {
  name: 'imagenet',
  description: 'ImageNet (ILSVRC-2012) in the torchvision folder layout; 224x224 random-resized crops, 1000 classes',
  params: imagenetParams,
  create: (params, common) => createImageFolder('imagenet', params, common),
};
