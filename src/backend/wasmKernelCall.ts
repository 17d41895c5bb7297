// Lets a wasm kernel be built from other wasm kernels (as tfjs's own backends do): call them
// directly, below the engine, and free their intermediate buffers when done.
import * as tf from '@tensorflow/tfjs';

export type KernelParams = Parameters<tf.KernelFunc>[0];

/** Calls wasm kernels for one composite kernel and frees every intermediate result on `dispose`. */
export class WasmKernelCalls {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(private readonly backend: KernelParams['backend']) {}

  /** Runs a kernel whose result is an intermediate, freed by `dispose`. */
  temporary(name: string, inputs: Record<string, tf.TensorInfo>, attrs: object): tf.TensorInfo {
    const result = this.run(name, inputs, attrs);
    this.temporaries.push(result);
    return result;
  }

  /** Runs a kernel whose result is kept (the composite kernel's output). */
  run(name: string, inputs: Record<string, tf.TensorInfo>, attrs: object): tf.TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (kernel === undefined) {
      throw new Error(`wasm kernel '${name}' is not registered; import @tensorflow/tfjs-backend-wasm first`);
    }
    return kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  }

  dispose(): void {
    // Reshape results share their input's buffer; disposeData drops one reference, as the engine would.
    for (const t of this.temporaries.splice(0)) (this.backend as tf.KernelBackend).disposeData(t.dataId);
  }
}
