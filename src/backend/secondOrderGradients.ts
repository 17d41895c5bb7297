// Gradients that make tfjs's gradients differentiable again, so a Hessian-vector product can be
// taken exactly by nesting tf.grad (src/flatness/exactHvp.ts). tfjs-core registers no gradient for
// the kernels its own conv and pooling gradients call (Conv2DBackpropFilter, MaxPoolGrad,
// AvgPoolGrad, and both depthwise conv gradients, which EfficientNet's HVPs pass through); and its
// Sigmoid gradient reads the saved output, off the tape, so a nested gradient through swish or an
// SE gate came out wrong (22% off on a small SE-ResNeXt-29, against PyTorch) or not at all. (Ops whose gradient reads a saved output or a customGrad's saved tensors need
// care too: see nestedGradients.ts.) First-order gradients are unchanged.
import * as tf from '@tensorflow/tfjs';
import { recordingGradientOps } from './nestedGradients.js';

type Pads = [[number, number], [number, number], [number, number], [number, number]];

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The pool's window geometry, with its padding as explicit rows and columns. */
function poolGeometry(input: tf.Tensor, attrs: PoolAttrs) {
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  const pads: Pads = [[0, 0], [top, bottom], [left, right], [0, 0]];
  return { info, pads };
}

/**
 * The filter gradient dW = BackpropFilter(x, dy) is bilinear in x and dy: for a cotangent ddW,
 * <ddW, dW> = <conv(x, ddW), dy> = <x, BackpropInput(dy, ddW)>.
 */
const conv2DBackpropFilterGradient: tf.GradConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (dataFormat !== 'NHWC') throw new Error(`second-order gradient of Conv2DBackpropFilter supports NHWC only, got ${dataFormat}`);
    return {
      x: () => tf.conv2dTranspose(dy, ddw as tf.Tensor4D, x.shape, strides, pad, dimRoundingMode),
      dy: () => tf.conv2d(x, ddw as tf.Tensor4D, strides, pad, dataFormat, 1, dimRoundingMode),
    };
  },
};

/**
 * AvgPoolGrad spreads dy / (window area) over each window, padded cells included; its transpose
 * sums each window of the cotangent over the same area, so the cotangent is zero-padded and
 * average-pooled without padding. The result does not depend on the input's values.
 */
const avgPoolGradGradient: tf.GradConfig = {
  kernelName: tf.AvgPoolGrad,
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const [input] = saved as [tf.Tensor4D];
    const pool = attrs as unknown as PoolAttrs;
    const { info, pads } = poolGeometry(input, pool);
    return {
      dy: () => tf.avgPool(tf.pad(ddx as tf.Tensor4D, pads), [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], 'valid'),
      input: () => tf.zerosLike(input),
    };
  },
};

/**
 * MaxPoolGrad sends each dy to its window's maximum; its transpose reads the cotangent at that
 * position. Found window offset by window offset: the first offset (row-major) whose input equals
 * the pooled output, padding never (it is -Infinity here). Ties between equal maxima would make
 * the choice matter only where the cotangent differs between them; after a ReLU a tie is between
 * zeros, whose cotangent is zero (ReLU's derivative there), so the product is exact. The routing
 * is piecewise constant, so the input and output get zero gradients.
 */
const maxPoolGradGradient: tf.GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [input, output] = saved as [tf.Tensor4D, tf.Tensor4D];
    return {
      dy: () => readAtMaxima(ddx as tf.Tensor4D, input, output, attrs as unknown as PoolAttrs),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};

function readAtMaxima(values: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D, attrs: PoolAttrs): tf.Tensor4D {
  const { info, pads } = poolGeometry(input, attrs);
  const paddedInput = tf.pad(input, pads, -Infinity);
  const paddedValues = tf.pad(values, pads);
  const [n, outHeight, outWidth, channels] = output.shape;
  const window = (t: tf.Tensor4D, dy: number, dx: number) =>
    tf.stridedSlice(t, [0, dy, dx, 0], [n, dy + (outHeight - 1) * info.strideHeight + 1, dx + (outWidth - 1) * info.strideWidth + 1, channels], [1, info.strideHeight, info.strideWidth, 1]);
  let taken: tf.Tensor = tf.zerosLike(output);
  let result: tf.Tensor = tf.zerosLike(output);
  for (let dy = 0; dy < info.filterHeight; dy++) {
    for (let dx = 0; dx < info.filterWidth; dx++) {
      const isMax = tf.mul(tf.cast(tf.equal(window(paddedInput, dy, dx), output), 'float32'), tf.sub(1, taken));
      result = tf.add(result, tf.mul(isMax, window(paddedValues, dy, dx)));
      taken = tf.add(taken, isMax);
    }
  }
  return result as tf.Tensor4D;
}

/** Idempotent (the registry keeps one gradient per kernel); the first-order values are tfjs-core's. */
type DepthwiseAttrs = Pick<tf.DepthwiseConv2dNativeBackpropInputAttrs, 'strides' | 'pad' | 'dilations' | 'dimRoundingMode'>;

/** The depthwise forward conv with a gradient kernel's geometry. */
const depthwise = (x: tf.Tensor, filter: tf.Tensor, a: DepthwiseAttrs) => tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, a.strides, a.pad, 'NHWC', a.dilations, a.dimRoundingMode);

/** tfjs exports no op for the depthwise gradient kernels: run them as its own gradient does. */
const runDepthwiseKernel = (kernel: string, inputs: Record<string, tf.Tensor>, attrs: object) => tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;

/**
 * Both depthwise gradients are bilinear, as the dense ones: with dW = BackpropFilter(x, dy) and
 * dx = BackpropInput(dy, W), <ddW, dW> = <depthwise(x, ddW), dy> = <x, BackpropInput(dy, ddW)> and
 * <ddx, dx> = <depthwise(ddx, W), dy> = <W, BackpropFilter(ddx, dy)>.
 */
const depthwiseBackpropFilterGradient: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as DepthwiseAttrs;
    return {
      x: () => runDepthwiseKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: ddw as tf.Tensor }, { ...a, inputShape: x.shape }),
      dy: () => depthwise(x, ddw as tf.Tensor, a),
    };
  },
};

const depthwiseBackpropInputGradient: tf.GradConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as DepthwiseAttrs;
    return {
      dy: () => depthwise(ddx as tf.Tensor, filter, a),
      filter: () => runDepthwiseKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: ddx as tf.Tensor, dy }, { ...a, filterShape: filter.shape }),
    };
  },
};

/**
 * dy * s * (1 - s) as tfjs-core's, from the saved output s in a first-order gradient (no extra
 * work); under a nested gradient s is recomputed from the input, so the outer one sees s(x).
 */
const sigmoidGradient: tf.GradConfig = {
  kernelName: tf.Sigmoid,
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [x, y] = saved as [tf.Tensor, tf.Tensor];
    return {
      x: () => {
        const s = recordingGradientOps() ? tf.sigmoid(x) : y;
        return tf.mul(dy as tf.Tensor, tf.mul(s, tf.sub(1, s)));
      },
    };
  },
};

export function registerSecondOrderGradients(): void {
  const configs = [conv2DBackpropFilterGradient, avgPoolGradGradient, maxPoolGradGradient, depthwiseBackpropFilterGradient, depthwiseBackpropInputGradient, sigmoidGradient];
  for (const config of configs) tf.registerGradient(config);
}
