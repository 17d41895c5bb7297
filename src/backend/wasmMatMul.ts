// BatchMatMul for the wasm backend with a transposed operand. tfjs-backend-wasm 4.22 runs a
// matmul with transposeA or transposeB in a plain loop, not XNNPACK: a dense layer's weight
// gradient x^T dy (transposeA) and input gradient dy W^T (transposeB) ran 4-7x slower than its
// forward matmul and were a quarter of a LeNet-5 step. Transposing the operand first (one copy)
// and multiplying on XNNPACK is faster unless the product is tiny: a column sum (x^T times a
// column of ones, as BatchNorm's sums were before wasmChannelSums.ts) stays on the loop, which wins there.
import * as tf from '@tensorflow/tfjs';
import { WasmKernelCalls, type KernelParams } from './wasmKernelCall.js';

/** x^T dy pays for the copy of x once dy has this many columns. */
const MIN_COLUMNS_FOR_TRANSPOSED_A = 4;
/** dy W^T pays for the copy (and XNNPACK's packing of the new W^T) from this many multiply-adds. */
const MIN_MACS_FOR_TRANSPOSED_B = 2 ** 17;

/** The 2-D transpose of a rank-2 tensor (or rank 3 with one batch). */
function transposedLastTwo(calls: WasmKernelCalls, t: tf.TensorInfo): tf.TensorInfo {
  const perm = t.shape.map((_, axis) => axis);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1]!, perm[perm.length - 2]!];
  return calls.temporary('Transpose', { x: t }, { perm });
}

/** Returns null when the transpose flags are better left to wasm's own kernel. */
function matMulTransposingFirst(params: KernelParams, original: tf.KernelFunc): tf.TensorInfo | null {
  const { a, b } = params.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = params.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (transposeA === transposeB) return null; // neither (XNNPACK already) or both (rare)
  const single = (t: tf.TensorInfo) => t.shape.length === 2 || (t.shape.length === 3 && t.shape[0] === 1);
  if (!single(a) || !single(b) || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  if (transposeA && bCols < MIN_COLUMNS_FOR_TRANSPOSED_A) return null;
  if (transposeB && aRows * aCols * bRows < MIN_MACS_FOR_TRANSPOSED_B) return null;
  const calls = new WasmKernelCalls(params.backend);
  try {
    const inputs = transposeA ? { a: transposedLastTwo(calls, a), b } : { a, b: transposedLastTwo(calls, b) };
    return original({ ...params, inputs, attrs: { ...params.attrs, transposeA: false, transposeB: false } }) as tf.TensorInfo;
  } finally {
    calls.dispose();
  }
}

/** Wraps wasm's own BatchMatMul, which still runs the untransposed, batched and tiny cases. */
export function wasmBatchMatMulKernel(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    kernelFunc: (params) => matMulTransposingFirst(params, original) ?? original(params),
  };
}
