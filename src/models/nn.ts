// Functional building blocks for models: parameters live in a ParamStore (so optimizers,
// checkpoints and landscape tools see one flat list), layers are plain functions of tensors.
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../backend/batchNormTraining.js';
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
}

export type Layer = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/** tfjs variable names are global to the process, so every store numbers its own uniquely. */
let nextVariableId = 0;
const UNIQUE_SUFFIX = '_';

/** The name a model gave a variable ('stage1/block1/conv1/kernel'), without the process-unique number. */
export function storeName(variable: tf.Variable): string {
  return variable.name.slice(0, variable.name.lastIndexOf(UNIQUE_SUFFIX));
}

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
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => this.rng.normal() * std);
    return this.add(name, tf.tensor(values, shape), true);
  }

  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    return this.add(name, tf.fill(shape, value), trainable);
  }

  private add(name: string, initial: tf.Tensor, trainable: boolean): tf.Variable {
    const variable = tf.variable(initial, trainable, `${name}${UNIQUE_SUFFIX}${nextVariableId++}`);
    initial.dispose();
    (trainable ? this.params : this.buffers).push(variable);
    return variable;
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
}

export function conv2d(store: ParamStore, name: string, o: ConvOptions): Layer {
  const fan = o.kernel * o.kernel * (o.fanMode === 'fanOut' ? o.outChannels : o.inChannels);
  const kernel = store.heNormal(`${name}/kernel`, [o.kernel, o.kernel, o.inChannels, o.outChannels], fan);
  const bias = o.bias ? store.constant(`${name}/bias`, [o.outChannels], 0) : null;
  const stride = o.stride ?? 1;
  const p = o.padding ?? Math.floor(o.kernel / 2);
  const padding: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [p, p], [p, p], [0, 0]];
  return (x) => {
    const y = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, padding);
    return bias ? tf.add(y, bias) : y;
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
  for (const u of updates) {
    tf.tidy(() => {
      const unbiased = tf.mul(u.variance, u.count / Math.max(u.count - 1, 1));
      u.movingMean.assign(tf.add(tf.mul(u.movingMean, 1 - momentum), tf.mul(u.mean, momentum)));
      u.movingVariance.assign(tf.add(tf.mul(u.movingVariance, 1 - momentum), tf.mul(unbiased, momentum)));
    });
    u.mean.dispose();
    u.variance.dispose();
  }
  updates.length = 0;
}

/** Mean over the spatial axes of NHWC activations. */
export const globalAveragePool: Layer = (x) => tf.mean(x, [1, 2]);

export const relu: Layer = (x) => tf.relu(x);

export const flatten: Layer = (x) => tf.reshape(x, [x.shape[0], -1]);

/** Applies layers in order. */
export function sequential(...layers: Layer[]): Layer {
  return (x, ctx) => layers.reduce((h, layer) => layer(h, ctx), x);
}
