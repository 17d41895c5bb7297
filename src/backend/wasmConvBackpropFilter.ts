// Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 does not ship, so conv
// training fails there. Float32 with output channels in multiples of 4 (every conv in vdm's
// models but depthwise ones) runs vdm's own SIMD kernel (wasmSimd/convBackpropFilter.c) on x and
// dy in place; anything else runs as ONE forward convolution on wasm's XNNPACK kernel, which
// costs three transposes and a repacking of dy per call (2.2x the forward conv in ResNet-20).
//
// Why the convolution works: dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n,oh,ow,co].
// Read input channels as the batch and the batch as channels: x' = x^T [Cin,H,W,N], and dy as a
// filter dy' = [OH,OW,N,Cout]. Then dW' [Cin,KH,KW,Cout] = conv(x', dy') with stride 1 and the
// forward stride as the dilation, so no im2col copy is made and XNNPACK does all the arithmetic.
import * as tf from '@tensorflow/tfjs';
import { WasmKernelCalls, type KernelParams } from './wasmKernelCall.js';
import { wasmSimd, type WasmTensorBackend } from './wasmSimd/kernels.js';

/** The SIMD kernel's widest block of output channels, and the unit of a split across threads. */
const CHANNEL_BLOCK = 8;

/**
 * Below this many multiply-adds a call stays on one thread: waking a worker costs more than it
 * saves, and right after an XNNPACK op its pool threads still spin for a while on the cores
 * (LeNet-5's filter gradient, 15 M, ran no faster split).
 */
const MIN_MACS_TO_SPLIT = 2 ** 25;

/** The SIMD kernel computes 4 output channels at a time. */
const simdKernelApplies = (x: tf.TensorInfo, dy: tf.TensorInfo, outChannels: number) =>
  x.dtype === 'float32' && dy.dtype === 'float32' && outChannels % 4 === 0;

function backpropFilterSimd(x: tf.TensorInfo, dy: tf.TensorInfo, backend: KernelParams['backend'], info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const wasm = backend as unknown as WasmTensorBackend;
  const dw = wasm.makeOutput([info.filterHeight, info.filterWidth, info.inChannels, info.outChannels], 'float32');
  const at = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId).memoryOffset;
  const args = (channelBegin: number, channelEnd: number) => [
    at(x), at(dy), at(dw),
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left, channelBegin, channelEnd,
  ] as const;
  const { kernels, pool } = wasmSimd(backend);
  const blocks = Math.floor(info.outChannels / CHANNEL_BLOCK);
  const macs = info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
  if (pool === undefined || blocks < 2 || macs < MIN_MACS_TO_SPLIT) {
    kernels.conv2d_backprop_filter(...args(0, info.outChannels));
    return dw;
  }
  // Threads take whole 8-channel blocks (the last part may end in a 4-channel one).
  const edge = (part: number, parts: number) => (part === parts ? info.outChannels : Math.round((blocks * part) / parts) * CHANNEL_BLOCK);
  pool.run('conv2d_backprop_filter', kernels.conv2d_backprop_filter, (part, parts) => [...args(edge(part, parts), edge(part + 1, parts))], blocks);
  return dw;
}

/** The padding after the last row (or column) that makes the transposed conv produce exactly `filterSize` outputs; negative means rows of x the forward conv never read. */
function trailingPad(inSize: number, outSize: number, filterSize: number, stride: number, leadingPad: number): number {
  const span = (outSize - 1) * stride + 1; // extent of dy' dilated by the forward stride
  return filterSize - 1 + span - inSize - leadingPad;
}

function conv2DBackpropFilterWasm({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  if (simdKernelApplies(x, dy, info.outChannels)) return backpropFilterSimd(x, dy, backend, info);
  const padBottom = trailingPad(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const padRight = trailingPad(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  const calls = new WasmKernelCalls(backend);
  try {
    let input = x;
    if (padBottom < 0 || padRight < 0) {
      // The forward conv never reached these trailing rows/columns; XNNPACK takes no negative padding.
      const size = [info.batchSize, info.inHeight + Math.min(padBottom, 0), info.inWidth + Math.min(padRight, 0), info.inChannels];
      input = calls.temporary('Slice', { x }, { begin: [0, 0, 0, 0], size });
    }
    const inputByChannel = calls.temporary('Transpose', { x: input }, { perm: [3, 1, 2, 0] });
    const dyAsFilter = calls.temporary('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const explicitPad = [
      [0, 0],
      [info.padInfo.top, Math.max(padBottom, 0)],
      [info.padInfo.left, Math.max(padRight, 0)],
      [0, 0],
    ];
    const gradByChannel = calls.temporary(
      'Conv2D',
      { x: inputByChannel, filter: dyAsFilter },
      { strides: [1, 1], pad: explicitPad, dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
    );
    return calls.run('Transpose', { x: gradByChannel }, { perm: [1, 2, 0, 3] });
  } finally {
    calls.dispose();
  }
}

export const wasmConv2DBackpropFilterKernel: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm,
};
