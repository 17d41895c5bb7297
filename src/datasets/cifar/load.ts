// Loads CIFAR-10/100 from whatever copy is under `root` (fetching it first if asked), as an
// in-memory source with class names from the meta files and the training split's mean/std.
import { join } from 'node:path';
import { DataError } from '../../errors.js';
import { downloadVerified, type DownloadOptions, type DownloadOutcome } from '../fetch.js';
import { channelStats, type ImageArrays, type InMemorySource } from '../inMemory.js';
import { parseBinaryRecords, parseNameList } from './binary.js';
import {
  CIFAR_BASE_URL,
  CIFAR_CLASS_COUNTS,
  CIFAR_LAYOUTS,
  CIFAR_MAX_ARCHIVE_BYTES,
  CIFAR_SIDE,
  cifarUrl,
  type Cifar100Labels,
  type CifarName,
} from './layout.js';
import { findCifar, missingCifarError, readCifarFiles, type CifarFiles, type CifarFormatChoice } from './locate.js';
import { parsePythonBatches, parsePythonNames } from './python.js';

export interface CifarLoadParams {
  readonly root: string;
  readonly download: boolean;
  readonly format: CifarFormatChoice;
  readonly labels?: Cifar100Labels;
}

export interface CifarFetchOptions extends DownloadOptions {
  /** Where the archives are served from; default $VDM_DATA_BASE_URL or the authors' site. */
  readonly baseUrl?: string;
  /** Expected MD5 instead of the published one: for mirrors that repackage, and tests. */
  readonly md5?: string;
}

/** Downloads the archive of `format` ('auto' = binary) into `root`; returns where it is. */
export async function fetchCifar(
  name: CifarName,
  root: string,
  format: CifarFormatChoice,
  options: CifarFetchOptions = {},
): Promise<{ path: string; url: string; outcome: DownloadOutcome }> {
  const layout = CIFAR_LAYOUTS[name][format === 'python' ? 'python' : 'binary'];
  const url = cifarUrl(layout, options.baseUrl ?? process.env.VDM_DATA_BASE_URL ?? CIFAR_BASE_URL);
  const path = join(root, layout.archive);
  const outcome = await downloadVerified({ url, md5: options.md5 ?? layout.md5, maxBytes: CIFAR_MAX_ARCHIVE_BYTES }, path, options);
  return { path, url, outcome };
}

function classCount(name: CifarName, labels: Cifar100Labels): number {
  return name === 'cifar10' ? CIFAR_CLASS_COUNTS.cifar10 : CIFAR_CLASS_COUNTS.cifar100[labels];
}

function decodeSplits(files: CifarFiles, labels: Cifar100Labels): { train: ImageArrays; test: ImageArrays; classNames: string[] } {
  const { name, format } = files.location.layout;
  const classes = classCount(name, labels);
  if (format === 'binary') {
    const recordFormat =
      name === 'cifar10'
        ? { labelRanges: [10], useLabel: 0 }
        : { labelRanges: [20, 100], useLabel: labels === 'coarse' ? 0 : 1 };
    const metaName = name === 'cifar10' ? 'batches.meta.txt' : `${labels}_label_names.txt`;
    return {
      train: parseBinaryRecords(files.train, recordFormat),
      test: parseBinaryRecords(files.test, recordFormat),
      classNames: parseNameList(files.meta.get(metaName)!, classes),
    };
  }
  const labelKey = name === 'cifar10' ? 'labels' : `${labels}_labels`;
  const [metaFile] = files.meta.values();
  return {
    train: parsePythonBatches(files.train, labelKey, classes),
    test: parsePythonBatches(files.test, labelKey, classes),
    classNames: parsePythonNames(metaFile, name === 'cifar10' ? 'label_names' : `${labels}_label_names`, classes),
  };
}

export async function loadCifarSource(
  name: CifarName,
  params: CifarLoadParams,
  fetchOptions: CifarFetchOptions = {},
  signal?: AbortSignal,
): Promise<InMemorySource> {
  let location = findCifar(params.root, name, params.format);
  if (location === undefined && params.download) {
    await fetchCifar(name, params.root, params.format, { ...fetchOptions, signal: fetchOptions.signal ?? signal });
    location = findCifar(params.root, name, params.format);
  }
  if (location === undefined) throw missingCifarError(params.root, name, params.format);
  const labels = params.labels ?? 'fine';
  const { train, test, classNames } = decodeSplits(await readCifarFiles(location, signal), labels);
  if (train.labels.length === 0 || test.labels.length === 0) {
    throw new DataError(`${location.path}: a split has no images`);
  }
  return {
    name,
    inputShape: [CIFAR_SIDE, CIFAR_SIDE, 3],
    classNames,
    train,
    test,
    // The whole training split's statistics, so a subset run normalises like a full one.
    normalization: channelStats(train.pixels, 3),
    info: {
      source: location.path,
      format: location.layout.format,
      ...(name === 'cifar100' ? { labels } : {}),
    },
  };
}
