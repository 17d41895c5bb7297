// An Identity kernel for wasm that shares the input's buffer instead of copying it. The engine
// clones (Identity) every tensor it saves for the backward pass; wasm 4.22 copies each one, while
// the cpu backend shares. Tensor data is never written in place, so sharing is safe.
import * as tf from '@tensorflow/tfjs';
import type { KernelParams } from './wasmKernelCall.js';

/** Wraps wasm's own Identity, which still handles strings. */
export function wasmSharedIdentityKernel(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (params: KernelParams) => {
      const { x } = params.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return original(params);
      // A second reference to the same buffer, released by the usual disposeData, as Reshape does.
      (params.backend as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}
