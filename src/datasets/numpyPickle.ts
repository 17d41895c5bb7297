// Unpickles the dicts of numpy arrays that Python data sets ship (e.g. CIFAR's python version),
// without Python: pickleparser does the opcodes, this module rebuilds numpy arrays from them.
import pickleparser from 'pickleparser';
import { DataError } from '../errors.js';

const { Parser, BufferReader } = pickleparser;

/** A numpy array as raw bytes plus what is needed to read them. */
export class NumpyArray {
  shape: number[] = [0];
  /** numpy's type string without byte order, e.g. 'u1' for uint8. */
  dtype = 'u1';
  fortranOrder = false;
  data: Uint8Array = new Uint8Array(0);

  /** ndarray.__setstate__: (version?, shape, dtype, is_fortran, rawdata). */
  __setstate__(state: unknown[]): void {
    const [shape, dtype, fortran, raw] = state.slice(-4);
    this.shape = (shape as number[]).map(Number);
    this.dtype = (dtype as NumpyDtype).code;
    this.fortranOrder = Boolean(fortran);
    this.data = asBytes(raw);
  }
}

class NumpyDtype {
  constructor(readonly code: string) {}
  /** dtype state only carries byte order and field info, which a uint8 array does not need. */
  __setstate__(): void {}
}

/**
 * Python 2 `str` (what CIFAR's pickles hold) is a byte string. Decoding it as latin1 maps each
 * byte to one character and back without loss: the same choice numpy recommends for Python 3
 * (`pickle.load(f, encoding='latin1')`). pickleparser would decode it as windows-1252 instead.
 */
class Latin1Reader extends BufferReader {
  override string(size: number, encoding: 'ascii' | 'utf-8'): string {
    if (encoding === 'utf-8') return super.string(size, encoding);
    const bytes = this.bytes(size);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
}

function asBytes(raw: unknown): Uint8Array {
  if (typeof raw === 'string') return Buffer.from(raw, 'latin1');
  if (raw instanceof Uint8Array) return raw;
  throw new Error(`numpy array data is a ${typeof raw}, expected bytes`);
}

function dtypeCode(spec: unknown): string {
  const code = spec instanceof NumpyDtype ? spec.code : String(spec);
  return code.replace(/^[|<>=]/, '');
}

/** The Python callables numpy's pickles name; anything else is refused rather than guessed at. */
const KNOWN_GLOBALS: Record<string, (...args: any[]) => unknown> = {
  'numpy.core.multiarray._reconstruct': () => new NumpyArray(),
  'numpy._core.multiarray._reconstruct': () => new NumpyArray(),
  'numpy.ndarray': () => undefined,
  'numpy.dtype': (code: unknown) => new NumpyDtype(dtypeCode(code)),
  // numpy >= 1.16 with pickle protocol 5: _frombuffer(buffer, dtype, shape, order)
  'numpy.core.numeric._frombuffer': frombuffer,
  'numpy._core.numeric._frombuffer': frombuffer,
  // Python 3 writing bytes at protocol 2 spells them as _codecs.encode(text, 'latin1')
  '_codecs.encode': (text: string, encoding: string) => Buffer.from(text, encoding === 'latin1' ? 'latin1' : 'utf8'),
};

function frombuffer(buffer: unknown, dtype: unknown, shape: number[], order: string): NumpyArray {
  const array = new NumpyArray();
  array.__setstate__([shape, new NumpyDtype(dtypeCode(dtype)), order === 'F', buffer]);
  return array;
}

const nameResolver = {
  resolve(module: string, name: string) {
    const known = KNOWN_GLOBALS[`${module}.${name}`];
    if (known === undefined) throw new Error(`the pickle refers to ${module}.${name}, which is not a numpy array part`);
    return known;
  },
};

/** Unpickles `data`; any failure becomes a one-line DataError naming `fileName`. */
export function unpickleNumpy(data: Uint8Array, fileName: string): unknown {
  try {
    const parser = new Parser({ nameResolver, unpicklingTypeOfDictionary: 'object' });
    return parser.read(new Latin1Reader(data));
  } catch (error) {
    throw new DataError(`${fileName}: not a readable python pickle (${(error as Error).message})`);
  }
}
