// A wasm trap with the heap at its 4 GiB ceiling is reported as running out of memory, with the
// figures and what to change; any other failure passes through unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { WASM_HEAP_MAX_BYTES, explainWasmMemoryFailure, wasmHeap } from '../../src/backend/wasmMemory.js';
import { ExitCode, RunFailedError } from '../../src/errors.js';

const { RuntimeError } = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }).WebAssembly;
const full = { bytes: WASM_HEAP_MAX_BYTES, maxBytes: WASM_HEAP_MAX_BYTES };

test('a wasm trap with the heap full becomes a one-line out-of-memory error (exit 1) naming the heap, the run and the remedies', () => {
  for (const message of ['Aborted(). Build with -sASSERTIONS for more info.', 'memory access out of bounds']) {
    const explained = explainWasmMemoryFailure(new RuntimeError(message), 'resnext29 at batch 8', full);
    assert.ok(explained instanceof RunFailedError);
    assert.equal(explained.exitCode, ExitCode.runFailed);
    assert.equal(explained.message.includes('\n'), false);
    assert.match(explained.message, /^the wasm backend ran out of memory: resnext29 at batch 8 filled its heap to 4\.00 GiB of the 4\.00 GiB/);
    assert.ok(explained.message.includes(`(tfjs: ${message})`));
    assert.match(explained.message, /smaller data\.batch_size, or backend cpu or webgpu$/);
  }
});

test('a trap with room left in the heap, an ordinary error, or no wasm backend passes through unchanged', () => {
  const trap = new RuntimeError('unreachable');
  assert.equal(explainWasmMemoryFailure(trap, 'm', { bytes: WASM_HEAP_MAX_BYTES / 2, maxBytes: WASM_HEAP_MAX_BYTES }), trap);
  const ordinary = new Error('Aborted()');
  assert.equal(explainWasmMemoryFailure(ordinary, 'm', full), ordinary);
  assert.equal(explainWasmMemoryFailure(trap, 'm', undefined), trap);
  assert.equal(explainWasmMemoryFailure('a string', 'm', full), 'a string');
});

test('wasmHeap reads the running wasm backend: 4 GiB less one page at most, growing as tensors need it', async () => {
  await selectBackend('wasm');
  assert.equal(WASM_HEAP_MAX_BYTES, 4_294_901_760); // tfjs-backend-wasm 4.22's getHeapMax()
  const before = wasmHeap();
  assert.ok(before !== undefined && before.bytes > 0 && before.bytes <= before.maxBytes);
  const big = tf.zeros([before.bytes / 4 + 1]); // more floats than the heap had bytes: it must grow
  const after = wasmHeap()!;
  big.dispose();
  assert.ok(after.bytes > before.bytes, `heap ${before.bytes} -> ${after.bytes}`);
  await selectBackend('cpu');
  assert.equal(wasmHeap(), undefined);
});
