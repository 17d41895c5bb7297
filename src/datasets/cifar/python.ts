// Parser of the CIFAR python version: pickled dicts holding an N x 3072 uint8 numpy array
// ('data', planar R,G,B rows) and label lists, as torchvision downloads them.
import { DataError } from '../../errors.js';
import type { ImageArrays } from '../inMemory.js';
import { NumpyArray, unpickleNumpy } from '../numpyPickle.js';
import type { NamedBuffer } from './binary.js';
import { CIFAR_IMAGE_BYTES, planarToHwc } from './layout.js';

function unpickleDict(file: NamedBuffer): Record<string, unknown> {
  const value = unpickleNumpy(file.data, file.name);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(`${file.name}: the pickle holds a ${Array.isArray(value) ? 'list' : typeof value}, expected a dict`);
  }
  return value as Record<string, unknown>;
}

function field(dict: Record<string, unknown>, key: string, file: NamedBuffer): unknown {
  if (!(key in dict)) throw new DataError(`${file.name}: no '${key}' entry (has ${Object.keys(dict).join(', ')})`);
  return dict[key];
}

function checkImageArray(data: unknown, file: NamedBuffer): NumpyArray {
  if (!(data instanceof NumpyArray)) throw new DataError(`${file.name}: 'data' is not a numpy array`);
  const [rows, cols] = data.shape;
  if (data.dtype !== 'u1' || data.shape.length !== 2 || cols !== CIFAR_IMAGE_BYTES || data.fortranOrder) {
    throw new DataError(
      `${file.name}: 'data' is a ${data.dtype} array of shape (${data.shape.join(', ')})` +
        `${data.fortranOrder ? ' in Fortran order' : ''}, expected uint8 (N, ${CIFAR_IMAGE_BYTES})`,
    );
  }
  if (data.data.length !== rows * cols) {
    throw new DataError(`${file.name}: 'data' holds ${data.data.length} bytes, expected ${rows * cols}; the file is truncated`);
  }
  return data;
}

/** All examples of the given batch files, in file order, as HWC images and labels from `labelKey`. */
export function parsePythonBatches(files: readonly NamedBuffer[], labelKey: string, numClasses: number): ImageArrays {
  const parsed = files.map((file) => {
    const dict = unpickleDict(file);
    const images = checkImageArray(field(dict, 'data', file), file);
    const labels = field(dict, labelKey, file);
    if (!Array.isArray(labels) || labels.length !== images.shape[0]) {
      throw new DataError(`${file.name}: '${labelKey}' should be a list of ${images.shape[0]} labels`);
    }
    labels.forEach((label, index) => {
      if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
        throw new DataError(`${file.name}: record ${index}: label ${label} out of range, expected 0..${numClasses - 1}`);
      }
    });
    return { images, labels: labels as number[] };
  });
  const total = parsed.reduce((n, p) => n + p.labels.length, 0);
  const pixels = new Uint8Array(total * CIFAR_IMAGE_BYTES);
  const labels = new Int32Array(total);
  let at = 0;
  for (const part of parsed) {
    for (let r = 0; r < part.labels.length; r++, at++) {
      labels[at] = part.labels[r];
      planarToHwc(part.images.data, r * CIFAR_IMAGE_BYTES, pixels, at * CIFAR_IMAGE_BYTES);
    }
  }
  return { pixels, labels };
}

/** Class names stored under `key` in a pickled meta dict (batches.meta or meta). */
export function parsePythonNames(file: NamedBuffer, key: string, expected: number): string[] {
  const names = field(unpickleDict(file), key, file);
  if (!Array.isArray(names) || names.length !== expected) {
    throw new DataError(`${file.name}: '${key}' should list ${expected} class names`);
  }
  return names.map((name) => (name instanceof Uint8Array ? Buffer.from(name).toString('utf8') : String(name)));
}
