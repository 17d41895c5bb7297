// Functional building blocks for models: parameters live in a ParamStore (so optimizers,
// checkpoints and landscape tools see one flat list), layers are plain functions of tensors.
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../backend/batchNormTraining.js';
import { hasFusedKernel, runFusedKernel } from '../backend/webgpuElementwise.js';
import { MOVING_AVERAGE_KERNEL, type MovingAverageAttrs } from '../backend/webgpuFusedUpdates.js';
import type { RandomStream } from '../random.js';

/** A BatchNorm layer's batch statistics from a training forward pass, applied after the step. */
export interface BatchNormUpdate {
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  readonly mean: tf.Tensor;
  readonly variance: tf.Tensor;
  /** Elements per channel in the batch, for the unbiased variance. */
  readonly count: number;
}

export interface ForwardContext {
  readonly training: boolean;
  /** Filled by BatchNorm layers in training mode; the trainer applies and disposes them. */
  readonly batchNormUpdates: BatchNormUpdate[];
  /**
   * Given only by a training step (its stream follows the run seed and the step): dropout draws
   * its masks from it. Without it dropout passes activations through, so evaluation, BatchNorm
   * re-estimation and parity checks are deterministic.
   */
  readonly random?: RandomStream;
}

export type Layer = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/** tfjs variable names are global to the process, so every store numbers its own uniquely. */
let nextVariableId = 0;
const UNIQUE_SUFFIX = '_';

/** The name a model gave a variable ('stage1/block1/conv1/kernel'), without the process-unique number. */
export function storeName(variable: tf.Variable): string {
  return variable.name.slice(0, variable.name.lastIndexOf(UNIQUE_SUFFIX));
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A weight (a kernel, a BatchNorm scale: PyTorch's `weight`) rather than an offset (a bias, a
 * BatchNorm shift). ASAM's ascent scales weights only.
 */
export function isWeightParam(variable: tf.Variable): boolean {
  const leaf = storeName(variable).split('/').pop();
  return leaf !== 'bias' && leaf !== 'beta';
}

export class ParamStore {
  /** Trainable weights, in creation order. */
  readonly params: tf.Variable[] = [];
  /** Non-trainable state (BatchNorm moving statistics). */
  readonly buffers: tf.Variable[] = [];

  constructor(private readonly rng: RandomStream) {}

  /** He (Kaiming) normal initialisation, std = sqrt(2 / fanIn), as the CIFAR ResNet recipes use. */
  heNormal(name: string, shape: number[], fanIn: number): tf.Variable {
    const std = Math.sqrt(2 / fanIn);
    return this.add(name, shape, true, () => {
      const values = new Float32Array(sizeOf(shape));
      for (let i = 0; i < values.length; i++) values[i] = this.rng.normal() * std;
      return tf.tensor(values, shape);
    });
  }

  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    return this.add(name, shape, trainable, () => tf.fill(shape, value));
  }

  protected add(name: string, _shape: readonly number[], trainable: boolean, initial: () => tf.Tensor): tf.Variable {
    const values = initial();
    const variable = tf.variable(values, trainable, `${name}${UNIQUE_SUFFIX}${nextVariableId++}`);
    values.dispose();
    (trainable ? this.params : this.buffers).push(variable);
    return variable;
  }
}

/**
 * A store that allocates nothing and only counts trainable values: a network built on it gives
 * its parameter count at once (`vdm list`, the full-size count tests) and must never be run.
 */
export class ParameterCounter extends ParamStore {
  trainable = 0;

  constructor() {
    super(null as unknown as RandomStream);
  }

  protected override add(_name: string, shape: readonly number[], trainable: boolean): tf.Variable {
    if (trainable) this.trainable += sizeOf(shape);
    return null as unknown as tf.Variable;
  }
}

/**
 * A store of weights that hold no values, for a network built on the shape-only backend
 * (backend/shapeBackend.ts) to count its FLOPs: no random draws, nothing allocated per weight.
 */
export class ShapeOnlyStore extends ParamStore {
  constructor() {
    super(null as unknown as RandomStream);
  }

  protected override add(name: string, shape: readonly number[], trainable: boolean): tf.Variable {
    return super.add(name, shape, trainable, () => tf.fill([...shape], 0));
  }
}

export interface ConvOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride?: number;
  /**
   * Zero rows/columns added on EVERY side (PyTorch's `padding`); default kernel/2, which keeps the
   * size at stride 1. Never tfjs's 'same': at stride 2 on even inputs it pads only after the last
   * row and column (TensorFlow's convention), which shifts every sampled window by one pixel
   * relative to the papers' PyTorch networks.
   */
  readonly padding?: number;
  readonly bias?: boolean;
  /** He-normal over fan-in (the CIFAR recipes) or fan-out (torchvision's kaiming_normal_(mode='fan_out')). */
  readonly fanMode?: 'fanIn' | 'fanOut';
  /**
   * Grouped convolution (PyTorch's `groups`): channels split into this many groups, each
   * convolved with its own filters. The kernel is [k, k, in/groups, out], PyTorch's weight
   * [out, in/groups, k, k] in HWIO order, and fan-in counts one group's inputs as PyTorch does.
   */
  readonly groups?: number;
}

type Padding4D = [[0, 0], [number, number], [number, number], [0, 0]];

export function conv2d(store: ParamStore, name: string, o: ConvOptions): Layer {
  const groups = o.groups ?? 1;
  if (o.inChannels % groups !== 0 || o.outChannels % groups !== 0) {
    throw new Error(`${name}: ${o.inChannels} -> ${o.outChannels} channels do not split into ${groups} groups`);
  }
  const fan = o.kernel * o.kernel * (o.fanMode === 'fanOut' ? o.outChannels : o.inChannels / groups);
  const kernel = store.heNormal(`${name}/kernel`, [o.kernel, o.kernel, o.inChannels / groups, o.outChannels], fan);
  const bias = o.bias ? store.constant(`${name}/bias`, [o.outChannels], 0) : null;
  const stride = o.stride ?? 1;
  const p = o.padding ?? Math.floor(o.kernel / 2);
  const padding: Padding4D = [[0, 0], [p, p], [p, p], [0, 0]];
  const convolve =
    groups === 1
      ? (x: tf.Tensor4D): tf.Tensor4D => tf.conv2d(x, kernel as tf.Tensor4D, stride, padding)
      : groups === o.inChannels
        ? depthwiseConvolution(kernel as tf.Tensor4D, [o.kernel, o.kernel, o.inChannels, o.outChannels / o.inChannels], stride, padding)
        : groupedConvolution(kernel as tf.Tensor4D, groups, stride, padding);
  return (x) => {
    const y = convolve(x as tf.Tensor4D);
    return bias ? tf.add(y, bias) : y;
  };
}

/**
 * tfjs has no grouped convolution. Group g's output channels see only group g's input channels,
 * so split both, convolve each pair and concatenate: the same work as PyTorch's (a block-diagonal
 * dense kernel would do `groups` times more), and split/concat carry the gradients back.
 */
function groupedConvolution(kernel: tf.Tensor4D, groups: number, stride: number, padding: Padding4D): (x: tf.Tensor4D) => tf.Tensor4D {
  return (x) => {
    const inputs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const kernels = tf.split(kernel, groups, 3) as tf.Tensor4D[];
    return tf.concat(inputs.map((xi, g) => tf.conv2d(xi, kernels[g]!, stride, padding)), 3);
  };
}

/**
 * One group per input channel (PyTorch's groups = in_channels, MobileNet's and EfficientNet's
 * depthwise conv): tfjs's own depthwise kernel, not `inChannels` split convs. The stored HWIO
 * kernel [k, k, 1, in * m] is, in memory, tfjs's depthwise filter [k, k, in, m] (output channel
 * c * m + j comes from input c in both), so a reshape (free, and differentiable) is all it takes.
 */
function depthwiseConvolution(kernel: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, padding: Padding4D): (x: tf.Tensor4D) => tf.Tensor4D {
  return (x) => tf.depthwiseConv2d(x, tf.reshape(kernel, filterShape) as tf.Tensor4D, stride, padding);
}

/**
 * Inverted dropout (PyTorch's F.dropout): in a training step zero each activation with
 * probability `rate` and scale the rest by 1 / (1 - rate); the masks come from ctx.random, so a
 * run with the same seed drops the same units. Elsewhere, or at rate 0, the identity.
 */
export function dropout(rate: number): Layer {
  return (x, ctx) => {
    if (rate === 0 || !ctx.training || ctx.random === undefined) return x;
    const keep = 1 / (1 - rate);
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = ctx.random.uniform() < rate ? 0 : keep;
    return tf.mul(x, tf.tensor(mask, x.shape));
  };
}

/**
 * Stochastic depth / drop-connect (Huang et al. 2016; EfficientNet's residual branches): in a
 * training step drop the whole branch of each example with probability `rate`, scaling kept ones
 * by 1 / (1 - rate). Masks come from ctx.random like dropout's; elsewhere the identity.
 */
export function dropPath(rate: number): Layer {
  return (x, ctx) => {
    if (rate === 0 || !ctx.training || ctx.random === undefined) return x;
    const keep = 1 / (1 - rate);
    const mask = Float32Array.from({ length: x.shape[0]! }, () => (ctx.random!.uniform() < rate ? 0 : keep));
    return tf.mul(x, tf.tensor(mask, [x.shape[0]!, ...x.shape.slice(1).map(() => 1)]));
  };
}

export function dense(store: ParamStore, name: string, inFeatures: number, outFeatures: number): Layer {
  const kernel = store.heNormal(`${name}/kernel`, [inFeatures, outFeatures], inFeatures);
  const bias = store.constant(`${name}/bias`, [outFeatures], 0);
  return (x) => tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias);
}

/** PyTorch conventions: momentum 0.1 on the moving averages, eps 1e-5, unbiased moving variance. */
export function batchNorm(store: ParamStore, name: string, channels: number, epsilon = 1e-5): Layer {
  const gamma = store.constant(`${name}/gamma`, [channels], 1);
  const beta = store.constant(`${name}/beta`, [channels], 0);
  const movingMean = store.constant(`${name}/moving_mean`, [channels], 0, false);
  const movingVariance = store.constant(`${name}/moving_variance`, [channels], 1, false);
  return (x, ctx) => {
    if (!ctx.training) {
      return tf.batchNorm(x, movingMean, movingVariance, beta, gamma, epsilon);
    }
    // One fused op with its own gradient (fast on wasm); mean and variance come back kept.
    const { y, mean, variance } = batchNormTraining(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, epsilon);
    ctx.batchNormUpdates.push({ movingMean, movingVariance, mean, variance, count: x.size / channels });
    return y;
  };
}

/** Folds the batch statistics of a training step into the moving averages, then frees them. */
export function applyBatchNormUpdates(updates: BatchNormUpdate[], momentum = 0.1): void {
  const fused = hasFusedKernel(MOVING_AVERAGE_KERNEL);
  // The two factors once for every layer: on webgpu each number operand is its own upload (the
  // fused kernel takes them as uniforms).
  const keep = fused ? null : tf.scalar(1 - momentum);
  const take = fused ? null : tf.scalar(momentum);
  /** One dispatch per statistic on webgpu instead of 3 or 4 ops. */
  const fusedAverage = (moving: tf.Tensor, value: tf.Tensor, scale: number) =>
    runFusedKernel(MOVING_AVERAGE_KERNEL, { moving, value }, { keep: 1 - momentum, take: momentum, scale } satisfies MovingAverageAttrs)[0]!;
  for (const u of updates) {
    tf.tidy(() => {
      const correction = u.count / Math.max(u.count - 1, 1);
      if (fused) {
        u.movingMean.assign(fusedAverage(u.movingMean, u.mean, 1));
        u.movingVariance.assign(fusedAverage(u.movingVariance, u.variance, correction));
        return;
      }
      const unbiased = tf.mul(u.variance, correction);
      u.movingMean.assign(tf.add(tf.mul(u.movingMean, keep!), tf.mul(u.mean, take!)));
      u.movingVariance.assign(tf.add(tf.mul(u.movingVariance, keep!), tf.mul(unbiased, take!)));
    });
    u.mean.dispose();
    u.variance.dispose();
  }
  if (keep !== null && take !== null) tf.dispose([keep, take]);
  updates.length = 0;
}

/** Mean over the spatial axes of NHWC activations. */
export const globalAveragePool: Layer = (x) => tf.mean(x, [1, 2]);

/** The head of the pre-activation networks: BN-ReLU on the last features, their global mean, dense logits. */
export function preActivationHead(store: ParamStore, channels: number, numClasses: number): Layer {
  const finalBn = batchNorm(store, 'final/bn', channels);
  const logits = dense(store, 'logits', channels, numClasses);
  return (x, ctx) => logits(globalAveragePool(tf.relu(finalBn(x, ctx)), ctx), ctx);
}

export const relu: Layer = (x) => tf.relu(x);

/** Swish / SiLU, x * sigmoid(x) (EfficientNet's activation); autodiff gives its gradient. */
export const swish = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));

export const flatten: Layer = (x) => tf.reshape(x, [x.shape[0], -1]);

/** Applies layers in order. */
export function sequential(...layers: Layer[]): Layer {
  return (x, ctx) => layers.reduce((h, layer) => layer(h, ctx), x);
}
