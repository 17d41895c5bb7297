// Per-channel sums over the rows of [rows, channels] (BatchNorm's statistics and gradients) in one
// dispatch on webgpu, of the values, their squares or their products with a second tensor.
// tfjs-backend-webgpu 4.22 sums over axis 0 by transposing the whole tensor first (2 dispatches,
// plus the square or product before it: 3). This is its ReduceProgram with the transpose folded
// into the indexing: the same workgroup size, the same per-lane order and the same tree, so the
// sums are the same f32 values. Registered for 'webgpu' only.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { CHANNEL_SUMS_KERNEL, channelSumsInputs, type ChannelSumTerm } from './channelSumsKernel.js';

const CANDIDATE: Record<ChannelSumTerm, string> = {
  value: 'A[i]',
  square: 'A[i] * A[i]',
  product: 'A[i] * B[i]',
};

interface WebgpuBackend {
  device: { limits: { maxComputeWorkgroupSizeX: number } };
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms: Array<{ type: 'int32'; data: number[] }>): tf.TensorInfo;
}

class ChannelSumsProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly size = true;
  readonly uniforms = 'rows : i32, channels : i32,';

  constructor(private readonly term: ChannelSumTerm, rows: number, channels: number, maxWorkgroupSizeX: number) {
    this.variableNames = term === 'product' ? ['A', 'B'] : ['A'];
    this.outputShape = [1, channels];
    // tfjs's ReduceProgram's choice for a reduction of `rows` values (so the summation order matches).
    const lanes = rows >= 32768 && maxWorkgroupSizeX >= 512 ? 512 : rows >= 4096 ? 256 : 64;
    this.workgroupSize = [lanes, 1, 1];
    this.dispatch = [channels, 1, 1]; // one workgroup per channel
    this.shaderKey = `vdm_channel_sums_${term}_${lanes}`;
  }

  getUserCode(): string {
    const lanes = this.workgroupSize[0];
    return `
      fn DIV_CEIL(a : u32, b : u32) -> u32 {
        return ((a - 1u) / b + 1u);
      }
      var<workgroup> partialSums : array<f32, ${lanes}>;
      fn main(index : i32) {
        let channel = index / ${lanes};
        var bestValue = 0.0;
        for (var k = i32(localId.x); k < uniforms.rows && channel < uniforms.size; k = k + ${lanes}) {
          let i = k * uniforms.channels + channel;
          let candidate = ${CANDIDATE[this.term]};
          bestValue = bestValue + candidate;
        }
        partialSums[localId.x] = bestValue;
        workgroupBarrier();
        var reduceSize = min(u32(uniforms.rows), ${lanes}u);
        for (var currentSize = reduceSize / 2u; reduceSize > 1u; currentSize = reduceSize / 2u) {
          let interval = DIV_CEIL(reduceSize, 2u);
          if (localId.x < currentSize) {
            let candidate = partialSums[localId.x + interval];
            bestValue = bestValue + candidate;
            partialSums[localId.x] = bestValue;
          }
          reduceSize = interval;
          workgroupBarrier();
        }
        if (localId.x == 0u && channel < uniforms.size) {
          setOutputAtIndex(channel, bestValue);
        }
      }`;
  }
}

/** Sums over axis 0 of a [rows, channels] float32 tensor (times `b` elementwise for 'product'): [1, channels]. */
function channelSums(params: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { a, b, term, rows, channels } = channelSumsInputs(params);
  const { backend } = params;
  const webgpu = backend as unknown as WebgpuBackend;
  const program = new ChannelSumsProgram(term, rows, channels, webgpu.device.limits.maxComputeWorkgroupSizeX);
  const operands = term === 'product' ? [a, b!] : [a];
  return webgpu.runWebGPUProgram(program, operands, 'float32', [{ type: 'int32', data: [rows] }, { type: 'int32', data: [channels] }]);
}

let registered = false;

/** Idempotent. Call once the webgpu backend is registered. */
export function registerWebgpuChannelSums(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: CHANNEL_SUMS_KERNEL, backendName: 'webgpu', kernelFunc: channelSums as unknown as tf.KernelFunc });
  registered = true;
}
