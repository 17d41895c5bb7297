// One WebGPU dispatch for an elementwise expression over same-shape inputs, so a chain of tfjs ops
// (each its own dispatch, uniform upload and bind group) can run as one shader. Used for the
// fused optimizer updates (webgpuOptimizerKernels.ts).
import * as tf from '@tensorflow/tfjs';
// Type only: the webgpu package is loaded by backend selection, never by importing this module.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** What the tfjs webgpu backend offers a program (tfjs-backend-webgpu 4.22's runWebGPUProgram). */
interface WebgpuProgramRunner {
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms?: Array<{ type: 'float32'; data: number[] }>): tf.TensorInfo;
}

export interface ElementwiseShader {
  /** Unique per distinct code: tfjs caches the compiled pipeline under it (plus the shapes). */
  readonly key: string;
  /** Input buffer names, in the order the inputs are passed. Every one must be read by `body`:
   * the pipeline layout is derived from the shader, and an unread binding makes the bind group invalid. */
  readonly inputs: readonly string[];
  /** f32 uniforms, read in `body` as `uniforms.<name>`. */
  readonly uniforms: readonly string[];
  /** WGSL statements that read `NAME[index]` and end by assigning `let result : f32`. */
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
  readonly uniforms?: string;

  constructor(private readonly shader: ElementwiseShader, shape: number[]) {
    this.variableNames = [...shader.inputs];
    this.outputShape = shape;
    this.shaderKey = `vdm_elementwise_${shader.key}`;
    // One invocation per element; the backend splits a dispatch past the device's per-dimension limit.
    this.dispatchLayout = { x: shape.map((_, axis) => axis) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(shape) / this.workgroupSize[0]), 1, 1];
    if (shader.uniforms.length > 0) this.uniforms = shader.uniforms.map((name) => `${name} : f32,`).join(' ');
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.shader.body}
          setOutputAtIndex(index, result);
        }
      }`;
  }
}

/** Runs `shader` over `inputs` (all of one shape, float32) in one dispatch; `uniforms` in the shader's order. */
export function runElementwise(backend: unknown, shader: ElementwiseShader, inputs: tf.TensorInfo[], uniforms: number[]): tf.TensorInfo {
  const shape = inputs[0]!.shape;
  for (const input of inputs) {
    if (!tf.util.arraysEqual(input.shape, shape) || input.dtype !== 'float32') {
      throw new Error(`elementwise shader '${shader.key}' needs float32 inputs of one shape, got [${input.shape}] ${input.dtype} beside [${shape}]`);
    }
  }
  const program = new ElementwiseProgram(shader, [...shape]);
  const uniformData = uniforms.map((value) => ({ type: 'float32' as const, data: [value] }));
  return (backend as WebgpuProgramRunner).runWebGPUProgram(program, inputs, 'float32', uniformData);
}
