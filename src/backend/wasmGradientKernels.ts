// Registers the gradient kernels that tfjs-backend-wasm 4.22 lacks (Conv2DBackpropFilter) or runs
// slowly (Conv2DBackpropInput), so conv networks train on wasm, and fast.
import * as tf from '@tensorflow/tfjs';
import { wasmConv2DBackpropFilterKernel } from './wasmConvBackpropFilter.js';
import { wasmConv2DBackpropInputKernel } from './wasmConvBackpropInput.js';

let registered = false;

/** Idempotent. Call after @tensorflow/tfjs-backend-wasm is imported (its kernels are wrapped). */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') === undefined) tf.registerKernel(wasmConv2DBackpropFilterKernel);
  const slowBackpropInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (slowBackpropInput !== undefined) {
    // Unregister first: registering over a kernel prints a tfjs warning. Keep its setupFunc, which
    // binds the C function the fallback calls.
    tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    tf.registerKernel({ ...wasmConv2DBackpropInputKernel(slowBackpropInput.kernelFunc), setupFunc: slowBackpropInput.setupFunc });
  }
  registered = true;
}
