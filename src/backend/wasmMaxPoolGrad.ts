// MaxPoolGrad for the wasm backend as a loop over dy on the wasm heap: each output's gradient goes
// to the first (row-major) strict maximum of its window, as tfjs's cpu backend does, and nothing
// goes to a window with no maximum (all NaN or -Infinity). tfjs-backend-wasm 4.22's own kernel
// visits every input position's windows and took 27% of a LeNet-5 step (8 ms at batch 64); this
// touches each window once.
import * as tf from '@tensorflow/tfjs';
import type { KernelParams } from './wasmKernelCall.js';

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmHeapBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function maxPoolGradWasm({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const wasm = backend as unknown as WasmHeapBackend;
  const dx = wasm.makeOutput([...input.shape], 'float32');
  const heap = wasm.wasm.HEAPF32; // read after makeOutput: allocating may grow (and replace) the heap
  const xBase = wasm.dataIdMap.get(input.dataId).memoryOffset / 4;
  const dyBase = wasm.dataIdMap.get(dy.dataId).memoryOffset / 4;
  const dxBase = wasm.dataIdMap.get(dx.dataId).memoryOffset / 4;
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  heap.fill(0, dxBase, dxBase + batchSize * inHeight * inWidth * channels);
  const rowStride = inWidth * channels;
  const imageStride = inHeight * rowStride;
  // Per output position, the window is scanned once for all channels (contiguous in NHWC).
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  let dyIndex = dyBase;
  for (let b = 0; b < batchSize; b++) {
    const image = b * imageStride;
    for (let yR = 0; yR < outHeight; yR++) {
      const rowStart = yR * strideHeight - top;
      for (let yC = 0; yC < outWidth; yC++, dyIndex += channels) {
        const colStart = yC * strideWidth - left;
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = rowStart + wR * dilationHeight;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = colStart + wC * dilationWidth;
            if (xC < 0 || xC >= inWidth) continue;
            const at = image + xR * rowStride + xC * channels;
            for (let d = 0; d < channels; d++) {
              const value = heap[xBase + at + d]!;
              if (value > best[d]!) {
                best[d] = value;
                bestAt[d] = at + d;
              }
            }
          }
        }
        for (let d = 0; d < channels; d++) {
          if (bestAt[d]! >= 0) heap[dxBase + bestAt[d]!] += heap[dyIndex + d]!;
        }
      }
    }
  }
  return dx;
}

export const wasmMaxPoolGradKernel: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm,
};
