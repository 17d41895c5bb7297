// vdm's per-channel-sums kernel (channelSumsKernel.ts) on wasm: one SIMD pass over the rows
// (wasmSimd/channelSums.c) in place of a square or product tensor and a transposed matmul,
// which ran as a scalar loop and took 7% of a ResNet-20 step on wasm.
import * as tf from '@tensorflow/tfjs';
import { CHANNEL_SUMS_KERNEL, channelSumsInputs, type ChannelSumTerm } from './channelSumsKernel.js';
import { wasmSimd, type WasmTensorBackend } from './wasmSimd/kernels.js';

/** channelSums.c's term codes. */
const TERM_CODE: Record<ChannelSumTerm, number> = { value: 0, square: 1, product: 2 };

function channelSumsWasm(params: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { a, b, term, rows, channels } = channelSumsInputs(params);
  const wasm = params.backend as unknown as WasmTensorBackend;
  const out = wasm.makeOutput([1, channels], 'float32');
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId).memoryOffset;
  wasmSimd(params.backend).kernels.channel_sums(TERM_CODE[term], at(a), b === undefined ? 0 : at(b), at(out), rows, channels);
  return out;
}

export const wasmChannelSumsKernel: tf.KernelConfig = {
  kernelName: CHANNEL_SUMS_KERNEL,
  backendName: 'wasm',
  kernelFunc: channelSumsWasm,
};
