// Parser of the CIFAR binary version: fixed-size records of label byte(s) + 3072 planar pixels.
import { DataError } from '../../errors.js';
import type { ImageArrays } from '../inMemory.js';
import { CIFAR_IMAGE_BYTES, planarToHwc } from './layout.js';

export interface BinaryRecordFormat {
  /** How many classes each leading label byte may take: [10] for CIFAR-10, [20, 100] (coarse, fine) for CIFAR-100. */
  readonly labelRanges: readonly number[];
  /** Which of the label bytes becomes the example's label. */
  readonly useLabel: number;
}

export interface NamedBuffer {
  /** Shown in errors: the path on disk, or archive:member. */
  readonly name: string;
  readonly data: Uint8Array;
}

/** All records of the given files, in file order, as HWC images and labels. */
export function parseBinaryRecords(files: readonly NamedBuffer[], format: BinaryRecordFormat): ImageArrays {
  const labelBytes = format.labelRanges.length;
  const recordBytes = labelBytes + CIFAR_IMAGE_BYTES;
  for (const file of files) {
    if (file.data.length === 0 || file.data.length % recordBytes !== 0) {
      const whole = Math.floor(file.data.length / recordBytes);
      throw new DataError(
        `${file.name}: ${file.data.length} bytes is not a whole number of ${recordBytes}-byte records ` +
          `(record ${whole} is cut short); the file is truncated or not a CIFAR binary batch`,
      );
    }
  }
  const total = files.reduce((n, f) => n + f.data.length / recordBytes, 0);
  const pixels = new Uint8Array(total * CIFAR_IMAGE_BYTES);
  const labels = new Int32Array(total);
  let at = 0;
  for (const file of files) {
    const count = file.data.length / recordBytes;
    for (let r = 0; r < count; r++, at++) {
      const start = r * recordBytes;
      for (let b = 0; b < labelBytes; b++) {
        const value = file.data[start + b];
        if (value >= format.labelRanges[b]) {
          throw new DataError(
            `${file.name}: record ${r}: label byte ${b} is ${value}, expected 0..${format.labelRanges[b] - 1}`,
          );
        }
      }
      labels[at] = file.data[start + format.useLabel];
      planarToHwc(file.data, start + labelBytes, pixels, at * CIFAR_IMAGE_BYTES);
    }
  }
  return { pixels, labels };
}

/** Class names from a meta text file: one per line, blank lines ignored. */
export function parseNameList(file: NamedBuffer, expected: number): string[] {
  const names = Buffer.from(file.data.buffer, file.data.byteOffset, file.data.length)
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== expected) {
    throw new DataError(`${file.name}: ${names.length} class names, expected ${expected}`);
  }
  return names;
}
