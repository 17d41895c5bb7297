// DepthwiseConv2dNativeBackpropInput and -Filter for the wasm backend, which tfjs-backend-wasm
// 4.22 lacks (so depthwise networks such as EfficientNet could not train there). Both are ONE
// call of wasm's own (XNNPACK) depthwise forward kernel, as the Conv2D gradients in
// wasmConvBackpropFilter.ts / wasmConvBackpropInput.ts are forward convs.
import * as tf from '@tensorflow/tfjs';
import { WasmKernelCalls, type KernelParams } from './wasmKernelCall.js';

type Shape4D = [number, number, number, number];

function depthwiseInfo(xShape: Shape4D, filterShape: Shape4D, attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs | tf.DepthwiseConv2dNativeBackpropFilterAttrs): tf.backend_util.Conv2DInfo {
  const { strides, pad, dilations, dimRoundingMode } = attrs;
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilations, pad, dimRoundingMode, true);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('wasm depthwise conv gradients support dilation 1 only (as tfjs-core\'s gradient does)');
  if (info.outChannels !== info.inChannels) throw new Error('wasm depthwise conv gradients support channel multiplier 1 only');
  return info;
}

/** Rows (or columns) after the last that make a stride-1 correlation give `wanted` outputs; negative: drop that many. */
const trailing = (length: number, filter: number, lead: number, wanted: number) => wanted + filter - 1 - lead - length;

/**
 * dx = depthwise correlation of dy, zero-upsampled by the stride, with the filter rotated by 180
 * degrees: dx[n,ih,iw,c] = sum dy[n,oh,ow,c] W[kh,kw,c] over ih = oh*s + kh - padTop.
 */
function depthwiseBackpropInput({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = depthwiseInfo(a.inputShape as Shape4D, filter.shape as Shape4D, a);
  const calls = new WasmKernelCalls(backend);
  try {
    let source = dy;
    const [n, oh, ow, c] = dy.shape as Shape4D;
    const { strideHeight: sh, strideWidth: sw } = info;
    if (sh > 1 || sw > 1) {
      const spread = calls.temporary('Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, c] });
      const padded = calls.temporary('PadV2', { x: spread }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      source = calls.temporary('Reshape', { x: padded }, { shape: [n, oh * sh, ow * sw, c] });
    }
    const leadTop = info.filterHeight - 1 - info.padInfo.top;
    const leadLeft = info.filterWidth - 1 - info.padInfo.left;
    if (leadTop < 0 || leadLeft < 0) throw new Error('wasm depthwise conv gradient: padding wider than the filter');
    const bottom = trailing(oh * sh, info.filterHeight, leadTop, info.inHeight);
    const right = trailing(ow * sw, info.filterWidth, leadLeft, info.inWidth);
    if (bottom < 0 || right < 0) {
      source = calls.temporary('Slice', { x: source }, { begin: [0, 0, 0, 0], size: [n, oh * sh + Math.min(bottom, 0), ow * sw + Math.min(right, 0), c] });
    }
    const rotated = calls.temporary('Reverse', { x: filter }, { dims: [0, 1] });
    const pad = [[0, 0], [leadTop, Math.max(bottom, 0)], [leadLeft, Math.max(right, 0)], [0, 0]];
    return calls.run('DepthwiseConv2dNative', { x: source, filter: rotated }, { strides: [1, 1], pad, dilations: [1, 1] });
  } finally {
    calls.dispose();
  }
}

/**
 * dW[kh,kw,c] = sum over n, oh, ow of x[n, oh*s + kh - padTop, ow*s + kw - padLeft, c] dy[n,oh,ow,c].
 * With the batch folded into the channels (x as one image [1, H, W, N*C], dy as a filter
 * [OH, OW, N*C, 1]) that is one depthwise correlation at the forward stride as dilation, giving
 * [1, KH, KW, N*C]; the sum over the batch is left.
 */
function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelParams): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = depthwiseInfo(x.shape as Shape4D, a.filterShape as Shape4D, a);
  const [n, h, w, c] = x.shape as Shape4D;
  const [, oh, ow] = dy.shape as Shape4D;
  const calls = new WasmKernelCalls(backend);
  try {
    const span = (out: number, stride: number) => (out - 1) * stride + 1;
    const bottom = trailing(h, span(oh, info.strideHeight), info.padInfo.top, info.filterHeight);
    const right = trailing(w, span(ow, info.strideWidth), info.padInfo.left, info.filterWidth);
    let input = x;
    if (bottom < 0 || right < 0) {
      // Rows and columns the forward conv never read; XNNPACK takes no negative padding.
      input = calls.temporary('Slice', { x }, { begin: [0, 0, 0, 0], size: [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c] });
    }
    const [, hIn, wIn] = input.shape as Shape4D;
    const image = calls.temporary('Reshape', { x: calls.temporary('Transpose', { x: input }, { perm: [1, 2, 0, 3] }) }, { shape: [1, hIn, wIn, n * c] });
    const dyFilter = calls.temporary('Reshape', { x: calls.temporary('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }) }, { shape: [oh, ow, n * c, 1] });
    const pad = [[0, 0], [info.padInfo.top, Math.max(bottom, 0)], [info.padInfo.left, Math.max(right, 0)], [0, 0]];
    const perExample = calls.temporary('DepthwiseConv2dNative', { x: image, filter: dyFilter }, { strides: [1, 1], pad, dilations: [info.strideHeight, info.strideWidth] });
    const split = calls.temporary('Reshape', { x: perExample }, { shape: [info.filterHeight, info.filterWidth, n, c] });
    const summed = calls.temporary('Sum', { x: split }, { axis: [2], keepDims: false });
    return calls.run('Reshape', { x: summed }, { shape: a.filterShape });
  } finally {
    calls.dispose();
  }
}

export const wasmDepthwiseBackpropInputKernel: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};

export const wasmDepthwiseBackpropFilterKernel: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
