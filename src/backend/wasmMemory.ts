// A training step that needs more memory than WebAssembly can address stops inside tfjs-backend-wasm
// as a bare `RuntimeError: Aborted()` (its malloc failing) or `memory access out of bounds`:
// this turns that into a sentence about memory and what to change.
import * as tf from '@tensorflow/tfjs';
import { RunFailedError } from '../errors.js';

/**
 * tfjs-backend-wasm 4.x lets its memory grow to 65,535 pages of 64 KiB (its emscripten build's
 * getHeapMax): the most a 32-bit WebAssembly memory can address.
 */
export const WASM_HEAP_MAX_BYTES = 65_535 * 65_536;

/** A heap this full when a kernel fails means it failed for want of memory. */
const FULL_SHARE = 0.9;

export interface WasmHeap {
  readonly bytes: number;
  readonly maxBytes: number;
}

/** The wasm backend's heap now, or undefined when another backend is active. */
export function wasmHeap(): WasmHeap | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  const bytes = module?.HEAPU8?.buffer.byteLength;
  return bytes === undefined ? undefined : { bytes, maxBytes: WASM_HEAP_MAX_BYTES };
}

/** Bytes as GiB to two decimals, as the heap figures are quoted. */
export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/**
 * `error` as a RunFailedError that names the full wasm heap when it is a WebAssembly trap thrown
 * with the heap (nearly) at its ceiling; unchanged otherwise. `what` says what was running
 * ("resnext29 at batch 8"). `heap` is read at the failure: the memory never shrinks, so it
 * still shows the peak.
 */
export function explainWasmMemoryFailure(error: unknown, what: string, heap: WasmHeap | undefined = wasmHeap()): unknown {
  // WebAssembly.RuntimeError: a trap in wasm code (emscripten's abort throws one too).
  if (!(error instanceof Error) || error.name !== 'RuntimeError' || heap === undefined) return error;
  if (heap.bytes < FULL_SHARE * heap.maxBytes) return error;
  return new RunFailedError(
    `the wasm backend ran out of memory: ${what} filled its heap to ${gib(heap.bytes)} of the ${gib(heap.maxBytes)} a 32-bit WebAssembly memory can address (tfjs: ${error.message}); ` +
      'use a smaller data.batch_size, or backend cpu or webgpu',
  );
}
