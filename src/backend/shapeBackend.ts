// A tfjs backend that computes shapes and counts FLOPs but holds no values: a network's forward
// pass on it costs microseconds and no memory whatever its size, so `vdm run --dry-run` can say
// how much arithmetic a step of a 68M-parameter network is without building or running one.
import * as tf from '@tensorflow/tfjs';

const NAME = 'vdm-shapes';
type Shape = number[];
interface Info {
  shape: Shape;
  refCount: number;
  bytes: number;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export class ShapeBackend extends tf.KernelBackend {
  private readonly data = new Map<object, Info>();
  /** Floating-point operations of the kernels run since the last reset: 2 per multiply-add, 1 per element otherwise. */
  flops = 0;
  /** Bytes the tensors alive now would hold (4 per element), and the most since the last reset. */
  liveBytes = 0;
  peakBytes = 0;

  private hold(dataId: object, shape: readonly number[], refCount: number): void {
    const bytes = 4 * size(shape);
    this.data.set(dataId, { shape: [...shape], refCount, bytes });
    this.liveBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
  }

  make(shape: readonly number[], dtype: tf.DataType = 'float32', flops = size(shape)): tf.TensorInfo {
    this.flops += flops;
    const dataId = {};
    this.hold(dataId, shape, 1);
    return { dataId, shape: [...shape], dtype };
  }

  override write(_values: tf.backend_util.BackendValues, shape: number[]): object {
    const dataId = {};
    this.hold(dataId, shape, 1);
    return dataId;
  }
  override move(dataId: object, _values: tf.backend_util.BackendValues, shape: number[], _dtype: tf.DataType, refCount: number): void {
    this.disposeData(dataId, true);
    this.hold(dataId, shape, refCount);
  }
  override refCount(dataId: object): number {
    return this.data.get(dataId)?.refCount ?? 0;
  }
  override incRef(dataId: object): void {
    const info = this.data.get(dataId);
    if (info) info.refCount++;
  }
  override disposeData(dataId: object, force = false): boolean {
    const info = this.data.get(dataId);
    if (info === undefined) return true;
    if (force || --info.refCount <= 0) {
      this.data.delete(dataId);
      this.liveBytes -= info.bytes;
      return true;
    }
    return false;
  }
  override numDataIds(): number {
    return this.data.size;
  }
  override readSync(): never {
    throw new Error(`the ${NAME} backend holds shapes only, no values to read`);
  }
  override read(): never {
    return this.readSync();
  }
  override memory() {
    return { unreliable: true, reasons: ['shapes only'] };
  }
  override timerAvailable(): boolean {
    return false;
  }
  override floatPrecision(): 32 {
    return 32;
  }
  override epsilon(): number {
    return 1e-7;
  }
  override dispose(): void {
    this.data.clear();
    this.liveBytes = 0;
  }
}

type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, any>;
type ShapeKernel = (inputs: Inputs, attrs: Attrs, backend: ShapeBackend) => tf.TensorInfo | tf.TensorInfo[];

const first = (inputs: Inputs) => Object.values(inputs)[0]!;
const sameShape: ShapeKernel = (inputs, _attrs, b) => b.make(first(inputs).shape, first(inputs).dtype);
const broadcast: ShapeKernel = ({ a, b: other }, _attrs, b) => b.make(tf.backend_util.assertAndGetBroadcastShape(a!.shape, other!.shape), a!.dtype);
const reduce: ShapeKernel = ({ x }, { axis, keepDims }, b) => {
  const axes = tf.util.parseAxisParam(axis, x!.shape);
  const [outShape] = tf.backend_util.computeOutAndReduceShapes(x!.shape, axes);
  b.flops += size(x!.shape);
  return b.make(keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape, x!.dtype, 0);
};
const pool: ShapeKernel = ({ x }, { filterSize, strides, pad, dimRoundingMode }, b) => {
  const info = tf.backend_util.computePool2DInfo(x!.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  return b.make(info.outShape, x!.dtype, size(info.outShape) * info.filterHeight * info.filterWidth);
};
const free = (shape: Shape, dtype: tf.DataType, b: ShapeBackend) => b.make(shape, dtype, 0);

/** The kernels vdm's models call in an inference-mode forward pass; another kernel fails the count, which callers report. */
const KERNELS: Record<string, ShapeKernel> = {
  Conv2D: ({ x, filter }, a, b) => {
    const info = tf.backend_util.computeConv2DInfo(x!.shape as never, filter!.shape as never, a.strides, a.dilations, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat));
    return b.make(info.outShape, x!.dtype, 2 * size(info.outShape) * info.filterHeight * info.filterWidth * info.inChannels);
  },
  DepthwiseConv2dNative: ({ x, filter }, a, b) => {
    const info = tf.backend_util.computeConv2DInfo(x!.shape as never, filter!.shape as never, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
    return b.make(info.outShape, x!.dtype, 2 * size(info.outShape) * info.filterHeight * info.filterWidth);
  },
  BatchMatMul: ({ a: left, b: right }, { transposeA, transposeB }, b) => {
    const [m, k] = transposeA ? left!.shape.slice(-2).reverse() : left!.shape.slice(-2);
    const n = transposeB ? right!.shape[right!.shape.length - 2]! : right!.shape[right!.shape.length - 1]!;
    const batch = tf.backend_util.assertAndGetBroadcastShape(left!.shape.slice(0, -2), right!.shape.slice(0, -2));
    return b.make([...batch, m!, n], left!.dtype, 2 * size(batch) * m! * n * k!);
  },
  AvgPool: pool,
  MaxPool: pool,
  FusedBatchNorm: ({ x }, _a, b) => b.make(x!.shape, x!.dtype, 2 * size(x!.shape)),
  Mean: reduce,
  Sum: reduce,
  Max: reduce,
  Add: broadcast,
  Sub: broadcast,
  Multiply: broadcast,
  RealDiv: broadcast,
  Maximum: broadcast,
  Minimum: broadcast,
  ...Object.fromEntries(['Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Neg', 'Sqrt', 'Rsqrt', 'Square', 'Abs', 'Softmax', 'Elu'].map((k) => [k, sameShape])),
  Cast: ({ x }, { dtype }, b) => free(x!.shape, dtype, b),
  Identity: ({ x }, _a, b) => free(x!.shape, x!.dtype, b),
  Reshape: ({ x }, { shape }, b) => free(tf.util.inferFromImplicitShape(shape, size(x!.shape)), x!.dtype, b),
  Transpose: ({ x }, { perm }, b) => b.make((perm as number[]).map((p) => x!.shape[p]!), x!.dtype),
  Fill: (_i, { shape, dtype }, b) => free(shape, dtype, b),
  PadV2: ({ x }, { paddings }, b) => b.make(x!.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]), x!.dtype),
  Slice: ({ x }, { begin, size: extent }, b) => {
    const [, sizes] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, extent);
    return b.make(sizes, x!.dtype);
  },
  Concat: (inputs, { axis }, b) => {
    const tensors = Object.values(inputs);
    const $axis = tf.util.parseAxisParam(axis, tensors[0]!.shape)[0]!;
    return b.make(tf.backend_util.computeOutShape(tensors.map((t) => t.shape), $axis), tensors[0]!.dtype);
  },
  SplitV: ({ x }, { numOrSizeSplits, axis }, b) => {
    const $axis = tf.util.parseAxisParam(axis, x!.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    return sizes.map((s) => b.make(x!.shape.map((d, i) => (i === $axis ? s : d)), x!.dtype));
  },
};

let registered = false;

function register(): void {
  if (registered) return;
  // Priority below every real backend's: tfjs never picks it by itself.
  tf.registerBackend(NAME, () => new ShapeBackend(), -100);
  for (const [kernelName, kernel] of Object.entries(KERNELS)) {
    tf.registerKernel({ kernelName, backendName: NAME, kernelFunc: ({ inputs, attrs, backend }) => kernel(inputs as Inputs, attrs as Attrs, backend as ShapeBackend) });
  }
  registered = true;
}

/**
 * Runs `fn` with the shape-only backend active, then returns to the backend that was active (its
 * tensors untouched). `fn` must create and dispose its own tensors: none may outlive it.
 */
export async function onShapeBackend<T>(fn: (backend: ShapeBackend) => T): Promise<T> {
  register();
  const previous = tf.getBackend();
  await tf.setBackend(NAME);
  try {
    return fn(tf.backend() as ShapeBackend);
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}
