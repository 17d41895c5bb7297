// Registers the wasm kernels training needs that tfjs-backend-wasm 4.22 lacks (Conv2DBackpropFilter,
// the depthwise conv gradients)
// or runs slowly (Conv2DBackpropInput; BatchMatMul with a transposed operand; MaxPoolGrad; Identity, which the
// engine calls for every tensor it saves for the backward pass), so conv networks train on wasm, and fast;
// and vdm's own per-channel sums (BatchNorm's statistics and gradient sums).
import * as tf from '@tensorflow/tfjs';
import { wasmChannelSumsKernel } from './wasmChannelSums.js';
import { wasmConv2DBackpropFilterKernel } from './wasmConvBackpropFilter.js';
import { wasmConv2DBackpropInputKernel } from './wasmConvBackpropInput.js';
import { wasmDepthwiseBackpropFilterKernel, wasmDepthwiseBackpropInputKernel } from './wasmDepthwiseGradients.js';
import { wasmBatchMatMulKernel } from './wasmMatMul.js';
import { wasmMaxPoolGradKernel } from './wasmMaxPoolGrad.js';
import { wasmSharedIdentityKernel } from './wasmSharedIdentity.js';

let registered = false;

/** Puts `makeKernel(original)` in place of wasm's own kernel, keeping its setupFunc (which binds the C function the original calls). */
function replaceWasmKernel(kernelName: string, makeKernel: (original: tf.KernelFunc) => tf.KernelConfig): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (original === undefined) throw new Error(`wasm kernel '${kernelName}' is not registered; import @tensorflow/tfjs-backend-wasm first`);
  // Unregister first: registering over a kernel prints a tfjs warning.
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...makeKernel(original.kernelFunc), setupFunc: original.setupFunc });
}

/** Idempotent. Call after @tensorflow/tfjs-backend-wasm is imported (some of its kernels are wrapped). */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') === undefined) tf.registerKernel(wasmConv2DBackpropFilterKernel);
  for (const kernel of [wasmDepthwiseBackpropInputKernel, wasmDepthwiseBackpropFilterKernel]) {
    if (tf.getKernel(kernel.kernelName, 'wasm') === undefined) tf.registerKernel(kernel);
  }
  if (tf.getKernel(wasmChannelSumsKernel.kernelName, 'wasm') === undefined) tf.registerKernel(wasmChannelSumsKernel);
  replaceWasmKernel(tf.Conv2DBackpropInput, wasmConv2DBackpropInputKernel);
  replaceWasmKernel(tf.BatchMatMul, wasmBatchMatMulKernel);
  replaceWasmKernel(tf.MaxPoolGrad, () => wasmMaxPoolGradKernel);
  replaceWasmKernel(tf.Identity, wasmSharedIdentityKernel);
  registered = true;
}
