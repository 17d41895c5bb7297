// The safetensors file format (huggingface/safetensors): an 8-byte little-endian header length, a
// JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian bytes.
import { writeFileAtomic } from '../files/safeWrite.js';

export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** F32 for weights, I64 for counters such as BatchNorm's num_batches_tracked. */
  readonly data: Float32Array | BigInt64Array;
}

const dtypeOf = (data: NamedTensor['data']) => (data instanceof Float32Array ? 'F32' : 'I64');

/** Node's Buffers and typed arrays are in the machine's order; the format is little-endian. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The file's bytes. Metadata values must be strings (the format's rule). */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  if (!littleEndian) throw new Error('safetensors export needs a little-endian machine');
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: ${t.name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    if (t.name in header) throw new Error(`safetensors: tensor name ${t.name} appears twice`);
    header[t.name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  // Spaces pad the header so the data starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const data = tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return Buffer.concat([length, Buffer.from(json), ...data]);
}

/** Writes beside the target and renames, so a crash never leaves a truncated file under the final name. */
export function writeSafetensors(file: string, tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
