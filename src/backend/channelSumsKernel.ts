// vdm's fused per-channel-sums kernel, as webgpu (webgpuChannelSums.ts) and wasm
// (wasmChannelSums.ts) each register it: its name, its terms and the inputs it takes.
import * as tf from '@tensorflow/tfjs';

export const CHANNEL_SUMS_KERNEL = 'VdmChannelSums';

/** Sum the values of a, their squares, or their products with b. */
export type ChannelSumTerm = 'value' | 'square' | 'product';

export interface ChannelSumsInputs {
  readonly a: tf.TensorInfo;
  readonly b?: tf.TensorInfo;
  readonly term: ChannelSumTerm;
  readonly rows: number;
  readonly channels: number;
}

/** The kernel's inputs, checked: float32 a [rows, channels], and b of a's shape for 'product'. */
export function channelSumsInputs({ inputs, attrs }: Parameters<tf.KernelFunc>[0]): ChannelSumsInputs {
  const { a, b } = inputs as { a: tf.TensorInfo; b?: tf.TensorInfo };
  const { term } = attrs as unknown as { term: ChannelSumTerm };
  if (a.shape.length !== 2 || a.dtype !== 'float32' || (term === 'product' && (b === undefined || b.dtype !== 'float32' || !tf.util.arraysEqual(a.shape, b.shape)))) {
    throw new Error(`${CHANNEL_SUMS_KERNEL}: needs float32 [rows, channels]${term === 'product' ? ' twice' : ''}, got [${a.shape}]${b ? ` and [${b.shape}]` : ''}`);
  }
  const [rows, channels] = a.shape as [number, number];
  return { a, b, term, rows, channels };
}
