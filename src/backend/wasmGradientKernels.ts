// Registers the gradient kernels that tfjs-backend-wasm 4.22 lacks, so conv networks can train on wasm.
import * as tf from '@tensorflow/tfjs';
import { wasmConv2DBackpropFilterKernel } from './wasmConvBackpropFilter.js';

const missingFromWasm: readonly tf.KernelConfig[] = [wasmConv2DBackpropFilterKernel];

/** Idempotent; a kernel that wasm (or an earlier call) already provides is left alone. */
export function registerWasmGradientKernels(): void {
  for (const kernel of missingFromWasm) {
    if (tf.getKernel(kernel.kernelName, kernel.backendName) === undefined) {
      tf.registerKernel(kernel);
    }
  }
}
