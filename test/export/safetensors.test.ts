// The safetensors layout, byte for byte: length prefix, JSON header, aligned contiguous data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, writeSafetensors } from '../../src/export/safetensors.js';
import { tempDir } from '../helpers/files.js';

test('header length, JSON header with dtypes, shapes, offsets and string metadata, then little-endian data', () => {
  const bytes = encodeSafetensors(
    [
      { name: 'a.weight', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, -6.5) },
      { name: 'a.num_batches_tracked', shape: [], data: BigInt64Array.of(42n) },
    ],
    { format: 'pt' },
  );
  const headerLength = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + headerLength) % 8, 0, 'data starts 8-byte aligned');
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  assert.deepEqual(header, {
    __metadata__: { format: 'pt' },
    'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'a.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [24, 32] },
  });
  const data = bytes.subarray(8 + headerLength);
  assert.equal(data.length, 32);
  assert.equal(data.readFloatLE(20), -6.5);
  assert.equal(data.readBigInt64LE(24), 42n);
});

test('a shape that does not match the values, or a repeated name, is refused', () => {
  assert.throws(() => encodeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array(3) }]), /w has 3 values for shape \[2, 2\]/);
  const w = { name: 'w', shape: [1], data: new Float32Array(1) };
  assert.throws(() => encodeSafetensors([w, w]), /w appears twice/);
});

test('writes atomically: a failed write leaves neither the file nor a temporary', () => {
  const dir = tempDir();
  const file = join(dir, 'model.safetensors');
  assert.throws(() => writeSafetensors(file, [{ name: 'w', shape: [2], data: new Float32Array(1) }]));
  assert.deepEqual(readdirSync(dir), []);
  writeSafetensors(file, [{ name: 'w', shape: [1], data: Float32Array.of(3) }]);
  assert.ok(existsSync(file));
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  assert.equal(readFileSync(file).readFloatLE(readFileSync(file).length - 4), 3);
});
