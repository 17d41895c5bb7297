// Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 does not ship, so conv
// training fails there. Computed as ONE forward convolution on wasm's XNNPACK kernel.
//
// Why that works: dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n,oh,ow,co].
// Read input channels as the batch and the batch as channels: x' = x^T [Cin,H,W,N], and dy as a
// filter dy' = [OH,OW,N,Cout]. Then dW' [Cin,KH,KW,Cout] = conv(x', dy') with stride 1 and the
// forward stride as the dilation, so no im2col copy is made and XNNPACK does all the arithmetic.
import * as tf from '@tensorflow/tfjs';
import { WasmKernelCalls, type KernelParams } from './wasmKernelCall.js';

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
