// One WebGPU dispatch for an elementwise expression over inputs of one shape (plus per-channel
// vectors along its last axis), so a chain of tfjs ops (each its own dispatch, uniform upload and
// bind group) can run as one shader. Used by webgpuFusedUpdates.ts and the training BatchNorm.
import * as tf from '@tensorflow/tfjs';
// Type only: the webgpu package is loaded by backend selection, never by importing this module.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** What the tfjs webgpu backend offers a program (tfjs-backend-webgpu 4.22's runWebGPUProgram). */
interface WebgpuProgramRunner {
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: Array<{ type: 'float32' | 'int32'; data: number[] }>): tf.TensorInfo;
}

export interface ElementwiseShader {
  /** Unique per distinct code: tfjs caches the compiled pipeline under it (plus the shapes). */
  readonly key: string;
  /** Input buffer names, in the order the inputs are passed. Every one must be read by `body`:
   * the pipeline layout is derived from the shader, and an unread binding makes the bind group invalid. */
  readonly inputs: readonly string[];
  /** f32 uniforms, read in `body` as `uniforms.<name>`. */
  readonly uniforms: readonly string[];
  /** Inputs (among `inputs`) that are one value per channel of the last axis, read as `NAME[channel]`. */
  readonly perChannel?: readonly string[];
  /** WGSL statements that read `NAME[index]` (and `NAME[channel]`) and end by assigning `let result : f32`. */
  readonly body: string;
}

class ElementwiseProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly uniforms: string;

  constructor(private readonly shader: ElementwiseShader, shape: number[]) {
    this.variableNames = [...shader.inputs];
    this.outputShape = shape;
    this.shaderKey = `vdm_elementwise_${shader.key}`;
    // One invocation per element; the backend splits a dispatch past the device's per-dimension limit.
    this.dispatchLayout = { x: shape.map((_, axis) => axis) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(shape) / this.workgroupSize[0]), 1, 1];
    this.uniforms = ['channels : i32,', ...shader.uniforms.map((name) => `${name} : f32,`)].join(' ');
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let channel = index % uniforms.channels;
          ${this.shader.body}
          setOutputAtIndex(index, result);
        }
      }`;
  }
}

/**
 * Runs `shader` over `inputs` (float32; the first has the output's shape, per-channel ones its last
 * axis's size, the rest its shape) in one dispatch; `uniforms` in the shader's order.
 */
export function runElementwise(backend: unknown, shader: ElementwiseShader, inputs: tf.TensorInfo[], uniforms: number[]): tf.TensorInfo {
  const shape = inputs[0]!.shape;
  const channels = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  inputs.forEach((input, i) => {
    const perChannel = shader.perChannel?.includes(shader.inputs[i]!) ?? false;
    const fits = perChannel ? tf.util.sizeFromShape(input.shape) === channels : tf.util.arraysEqual(input.shape, shape);
    if (!fits || input.dtype !== 'float32') {
      throw new Error(`elementwise shader '${shader.key}': input ${shader.inputs[i]} is [${input.shape}] ${input.dtype}, needs float32 ${perChannel ? `${channels} values` : `[${shape}]`}`);
    }
  });
  const program = new ElementwiseProgram(shader, [...shape]);
  const uniformData = [{ type: 'int32' as const, data: [channels] }, ...uniforms.map((value) => ({ type: 'float32' as const, data: [value] }))];
  return (backend as WebgpuProgramRunner).runWebGPUProgram(program, inputs, 'float32', uniformData);
}

let fusedKernels = true;

/** Turns the fused kernels off (the ops they replace run instead), for the tests that compare the two. */
export function setFusedKernels(on: boolean): void {
  fusedKernels = on;
}

/** True when the active backend has the fused kernel `kernelName` and fused kernels are on. */
export function hasFusedKernel(kernelName: string): boolean {
  return fusedKernels && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs a fused kernel; its outputs in the kernel's order. */
export function runFusedKernel(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor[] {
  const out = tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
