// AddN for the webgpu backend over any number of inputs. tfjs-backend-webgpu 4.22 binds every
// input of AddN as a storage buffer in one shader, so more inputs than the device's
// maxStorageBuffersPerShaderStage - 1 (8 - 1 by default) make an invalid pipeline: Dawn prints
// validation errors and the result is garbage (vdm flatness sums one term per parameter tensor).
// This sums in chunks the shader can bind. Registered for 'webgpu' only.
import * as tf from '@tensorflow/tfjs';

interface WebgpuBackendLimits {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): void;
}

let registered = false;

/** Idempotent. Call once @tensorflow/tfjs-backend-webgpu is imported (its AddN is wrapped). */
export function registerWebgpuAddN(): void {
  if (registered) return;
  const original = tf.getKernel(tf.AddN, 'webgpu');
  if (original === undefined) throw new Error("webgpu kernel 'AddN' is not registered; import @tensorflow/tfjs-backend-webgpu first");
  const addN = original.kernelFunc as unknown as (args: { inputs: tf.TensorInfo[]; backend: unknown; attrs?: unknown }) => tf.TensorInfo;
  tf.unregisterKernel(tf.AddN, 'webgpu'); // registering over a kernel prints a tfjs warning
  tf.registerKernel({
    kernelName: tf.AddN,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const webgpu = backend as unknown as WebgpuBackendLimits;
      const maxInputs = webgpu.device.limits.maxStorageBuffersPerShaderStage - 1; // one binding is the output
      let terms = inputs as unknown as tf.TensorInfo[];
      let owned = false; // partial sums are ours to free; the caller's inputs are not
      while (terms.length > maxInputs) {
        const partials: tf.TensorInfo[] = [];
        for (let i = 0; i < terms.length; i += maxInputs) partials.push(addN({ inputs: terms.slice(i, i + maxInputs), backend, attrs }));
        if (owned) terms.forEach((t) => webgpu.disposeData(t.dataId));
        terms = partials;
        owned = true;
      }
      const result = addN({ inputs: terms, backend, attrs });
      if (owned) terms.forEach((t) => webgpu.disposeData(t.dataId));
      return result;
    },
  });
  registered = true;
}
