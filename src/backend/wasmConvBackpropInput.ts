// A faster Conv2DBackpropInput for the wasm backend: wasm 4.22's own is a plain loop that runs
// 8-15x slower than its XNNPACK forward conv, and is most of a ResNet training step.
//
// dx is the forward convolution of dy (zero-upsampled by the stride) with the filter rotated by
// 180 degrees and its in/out channels swapped: dx[n,ih,iw,ci] = sum dy[n,oh,ow,co] W[kh,kw,ci,co]
// over ih = oh*s + kh - padTop, i.e. a "full" correlation with leading padding KH-1-padTop.
import * as tf from '@tensorflow/tfjs';
import { WasmKernelCalls, type KernelParams } from './wasmKernelCall.js';

/** dy with stride-1 zero rows/columns after each row/column (only when a stride exceeds 1). */
function zeroUpsample(calls: WasmKernelCalls, dy: tf.TensorInfo, strideHeight: number, strideWidth: number): tf.TensorInfo {
  const [n, h, w, c] = dy.shape as [number, number, number, number];
  const spread = calls.temporary('Reshape', { x: dy }, { shape: [n, h, 1, w, 1, c] });
  const paddings = [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]];
  const padded = calls.temporary('PadV2', { x: spread }, { paddings, constantValue: 0 });
  return calls.temporary('Reshape', { x: padded }, { shape: [n, h * strideHeight, w * strideWidth, c] });
}

/** Returns null when this formulation does not apply, so the caller falls back to wasm's own kernel. */
function conv2DBackpropInputViaConv({ inputs, backend, attrs }: KernelParams): tf.TensorInfo | null {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat !== 'NHWC') return null;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const leadTop = info.filterHeight - 1 - info.padInfo.top;
  const leadLeft = info.filterWidth - 1 - info.padInfo.left;
  if (leadTop < 0 || leadLeft < 0) return null; // explicit padding wider than the filter
  const upsampledHeight = info.outHeight * info.strideHeight;
  const upsampledWidth = info.outWidth * info.strideWidth;
  // Padded length minus (filter - 1) must equal the input length.
  const trailBottom = info.inHeight + info.filterHeight - 1 - leadTop - upsampledHeight;
  const trailRight = info.inWidth + info.filterWidth - 1 - leadLeft - upsampledWidth;

  const calls = new WasmKernelCalls(backend);
  try {
    const strided = info.strideHeight > 1 || info.strideWidth > 1;
    let source = strided ? zeroUpsample(calls, dy, info.strideHeight, info.strideWidth) : dy;
    if (trailBottom < 0 || trailRight < 0) {
      const size = [info.batchSize, upsampledHeight + Math.min(trailBottom, 0), upsampledWidth + Math.min(trailRight, 0), info.outChannels];
      source = calls.temporary('Slice', { x: source }, { begin: [0, 0, 0, 0], size });
    }
    const rotated = calls.temporary('Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = calls.temporary('Transpose', { x: rotated }, { perm: [0, 1, 3, 2] });
    const explicitPad = [
      [0, 0],
      [leadTop, Math.max(trailBottom, 0)],
      [leadLeft, Math.max(trailRight, 0)],
      [0, 0],
    ];
    return calls.run(
      'Conv2D',
      { x: source, filter: swapped },
      { strides: [1, 1], pad: explicitPad, dataFormat: 'NHWC', dilations: [1, 1] },
    );
  } finally {
    calls.dispose();
  }
}

/** Wraps wasm's own kernel, which still handles the cases the conv formulation does not. */
export function wasmConv2DBackpropInputKernel(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: (params) => conv2DBackpropInputViaConv(params) ?? original(params),
  };
}
