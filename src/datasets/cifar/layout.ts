// What the official CIFAR archives hold: names, URLs and published MD5s of each format, and
// the planar R,G,B image layout both formats share.

export type CifarName = 'cifar10' | 'cifar100';
export type CifarFormat = 'binary' | 'python';
export type Cifar100Labels = 'fine' | 'coarse';

export const CIFAR_SIDE = 32;
const PLANE = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_IMAGE_BYTES = 3 * PLANE;

/** The official host; tests and mirrors override it. */
export const CIFAR_BASE_URL = 'https://www.cs.toronto.edu/~kriz/';

export interface CifarLayout {
  readonly name: CifarName;
  readonly format: CifarFormat;
  /** The archive's file name, as published. */
  readonly archive: string;
  /** MD5 of the archive as published by the data set's authors. */
  readonly md5: string;
  /** The folder the archive unpacks to. */
  readonly folder: string;
  readonly trainFiles: readonly string[];
  readonly testFiles: readonly string[];
  readonly metaFiles: readonly string[];
  /** Largest file it holds, with slack: a member over this is not a CIFAR file and is not buffered. */
  readonly maxMemberBytes: number;
}

const MiB = 1024 * 1024;
/**
 * Each published archive is about 163 MiB (cifar-10-binary.tar.gz: 170,052,171 bytes); a download
 * larger than this is not the archive asked for.
 */
export const CIFAR_MAX_ARCHIVE_BYTES = 200 * MiB;
/** The archives unpack to about 180 MB; reading further through a tar is not reading CIFAR. */
export const CIFAR_MAX_UNPACKED_BYTES = 400 * MiB;
/** CIFAR-10: a batch is 30.7 MB (binary) or 31.0 MB (pickle). */
const CIFAR10_MEMBER = 32 * MiB;
/** CIFAR-100: the training split is one file of 153.7 MB (binary) or about 155 MB (pickle). */
const CIFAR100_MEMBER = 160 * MiB;

const cifar10Batches = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`);

export const CIFAR_LAYOUTS: Record<CifarName, Record<CifarFormat, CifarLayout>> = {
  cifar10: {
    binary: {
      name: 'cifar10',
      format: 'binary',
      archive: 'cifar-10-binary.tar.gz',
      md5: 'c32a1d4ab5d03f1284b67883e8d87530',
      folder: 'cifar-10-batches-bin',
      trainFiles: cifar10Batches.map((f) => `${f}.bin`),
      testFiles: ['test_batch.bin'],
      metaFiles: ['batches.meta.txt'],
      maxMemberBytes: CIFAR10_MEMBER,
    },
    python: {
      name: 'cifar10',
      format: 'python',
      archive: 'cifar-10-python.tar.gz',
      md5: 'c58f30108f718f92721af3b95e74349a',
      folder: 'cifar-10-batches-py',
      trainFiles: cifar10Batches,
      testFiles: ['test_batch'],
      metaFiles: ['batches.meta'],
      maxMemberBytes: CIFAR10_MEMBER,
    },
  },
  cifar100: {
    binary: {
      name: 'cifar100',
      format: 'binary',
      archive: 'cifar-100-binary.tar.gz',
      md5: '03b5dce01913d631647c71ecec9e9cb8',
      folder: 'cifar-100-binary',
      trainFiles: ['train.bin'],
      testFiles: ['test.bin'],
      metaFiles: ['coarse_label_names.txt', 'fine_label_names.txt'],
      maxMemberBytes: CIFAR100_MEMBER,
    },
    python: {
      name: 'cifar100',
      format: 'python',
      archive: 'cifar-100-python.tar.gz',
      md5: 'eb9058c3a382ffc7106e4002c42a8d85',
      folder: 'cifar-100-python',
      trainFiles: ['train'],
      testFiles: ['test'],
      metaFiles: ['meta'],
      maxMemberBytes: CIFAR100_MEMBER,
    },
  },
};

export const CIFAR_CLASS_COUNTS = { cifar10: 10, cifar100: { fine: 100, coarse: 20 } } as const;

export function cifarUrl(layout: CifarLayout, baseUrl: string = CIFAR_BASE_URL): string {
  return new URL(layout.archive, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
}

/** Copies one planar image (1024 R, then G, then B) into HWC order at `out[outOffset]`. */
export function planarToHwc(src: Uint8Array, srcOffset: number, out: Uint8Array, outOffset: number): void {
  for (let p = 0; p < PLANE; p++) {
    const o = outOffset + 3 * p;
    out[o] = src[srcOffset + p];
    out[o + 1] = src[srcOffset + PLANE + p];
    out[o + 2] = src[srcOffset + 2 * PLANE + p];
  }
}
