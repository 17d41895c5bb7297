// ResNeXt-29 for CIFAR (Xie et al. 2017, "Aggregated Residual Transformations") and its
// squeeze-and-excitation variant (Hu et al. 2018), in the layout of CIFAR-ZOO's models/resnext.py
// and models/senet.py: a 3x3 stem, three stages of bottlenecks whose 3x3 conv is grouped
// (cardinality groups of base_width * 2^stage channels), projection shortcuts where widths change.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParamStore, ParameterCounter, batchNorm, conv2d, dense, globalAveragePool, sequential, type Layer } from './nn.js';
import type { Model, ModelEntry } from './types.js';

/** Output channels of a bottleneck are 4x its stage's base (CIFAR-ZOO's expansion). */
const EXPANSION = 4;

const commonShape = {
  depth: z
    .number()
    .int()
    .min(11)
    .refine((d) => (d - 2) % 9 === 0, 'depth must be 9n + 2 (29: 3 bottlenecks per stage)')
    .default(29)
    .describe('9n + 2: n bottlenecks per stage (29)'),
  cardinality: z.number().int().positive().default(16).describe('groups of the 3x3 convolutions (16 for 16x64d, 8 for 8x64d)'),
  base_width: z.number().int().positive().default(64).describe('channels per group in the first stage, doubling each stage (64)'),
  stem_width: z.number().int().positive().default(64).describe("the stem's channels; stage outputs are 4x, 8x, 16x it (64, as CIFAR-ZOO fixes it)"),
};

const resnextParams = z.object(commonShape).strict();
const seResnextParams = z
  .object({ ...commonShape, se_reduction: z.number().int().positive().default(16).describe('squeeze-and-excitation reduction ratio r (16)') })
  .strict()
  .refine((p) => Math.floor((EXPANSION * p.stem_width) / p.se_reduction) >= 1, {
    message: 'se_reduction leaves no channels in the first stage (needs 4 * stem_width >= se_reduction)',
    path: ['se_reduction'],
  });

export type ResNeXtParams = z.infer<typeof resnextParams> & { se_reduction?: number };

/** Squeeze (global mean) and excite: two 1x1 convs with biases, ReLU then sigmoid, scaling each channel. */
function squeezeExcitation(store: ParamStore, name: string, channels: number, reduction: number): Layer {
  const squeezed = Math.floor(channels / reduction);
  const fc1 = conv2d(store, `${name}/fc1`, { inChannels: channels, outChannels: squeezed, kernel: 1, bias: true });
  const fc2 = conv2d(store, `${name}/fc2`, { inChannels: squeezed, outChannels: channels, kernel: 1, bias: true });
  return (x, ctx) => tf.mul(x, tf.sigmoid(fc2(tf.relu(fc1(tf.mean(x, [1, 2], true), ctx)), ctx)));
}

interface BottleneckShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
  /** Channels of the grouped 3x3 conv: cardinality * per-group width. */
  readonly inner: number;
}

/** 1x1 reduce, grouped 3x3 (strided), 1x1 expand, [SE], plus shortcut, then ReLU. */
function bottleneck(store: ParamStore, name: string, b: BottleneckShape, p: ResNeXtParams): Layer {
  const reduce = sequential(conv2d(store, `${name}/conv_reduce`, { inChannels: b.inChannels, outChannels: b.inner, kernel: 1 }), batchNorm(store, `${name}/bn_reduce`, b.inner));
  const group = sequential(
    conv2d(store, `${name}/conv_group`, { inChannels: b.inner, outChannels: b.inner, kernel: 3, stride: b.stride, groups: p.cardinality }),
    batchNorm(store, `${name}/bn_group`, b.inner),
  );
  const expand = sequential(conv2d(store, `${name}/conv_expand`, { inChannels: b.inner, outChannels: b.outChannels, kernel: 1 }), batchNorm(store, `${name}/bn_expand`, b.outChannels));
  const se = p.se_reduction === undefined ? null : squeezeExcitation(store, `${name}/se`, b.outChannels, p.se_reduction);
  // CIFAR-ZOO projects only when the width changes; here that is also whenever the stride is 2.
  const shortcut: Layer =
    b.inChannels === b.outChannels
      ? (x) => x
      : sequential(
          conv2d(store, `${name}/shortcut/conv`, { inChannels: b.inChannels, outChannels: b.outChannels, kernel: 1, stride: b.stride }),
          batchNorm(store, `${name}/shortcut/bn`, b.outChannels),
        );
  return (x, ctx) => {
    let h = expand(tf.relu(group(tf.relu(reduce(x, ctx)), ctx)), ctx);
    if (se) h = se(h, ctx);
    return tf.relu(tf.add(h, shortcut(x, ctx)));
  };
}

function buildResNeXt(name: string, p: ResNeXtParams, store: ParamStore, inChannels: number, numClasses: number): Model {
  const perStage = (p.depth - 2) / 9;
  const stem = sequential(conv2d(store, 'stem/conv', { inChannels, outChannels: p.stem_width, kernel: 3 }), batchNorm(store, 'stem/bn', p.stem_width), (x) => tf.relu(x));
  const blocks: Layer[] = [];
  let channels = p.stem_width;
  for (let stage = 1; stage <= 3; stage++) {
    const outChannels = EXPANSION * p.stem_width * 2 ** (stage - 1);
    // CIFAR-ZOO: D = cardinality * int(base_width * out / (expansion * 64)), its 64 being the stem width.
    const inner = p.cardinality * Math.floor((p.base_width * outChannels) / (EXPANSION * p.stem_width));
    for (let i = 1; i <= perStage; i++) {
      const stride = stage > 1 && i === 1 ? 2 : 1;
      blocks.push(bottleneck(store, `stage${stage}/block${i}`, { inChannels: channels, outChannels, stride, inner }, p));
      channels = outChannels;
    }
  }
  const head = dense(store, 'logits', channels, numClasses);
  const features = sequential(stem, ...blocks);
  return {
    name,
    params: store.params,
    buffers: store.buffers,
    // CIFAR-ZOO pools the final 8x8 map of a 32x32 input whole; a global mean is that at any size.
    forward: (x, ctx) => tf.tidy(() => head(globalAveragePool(features(x, ctx), ctx), ctx) as tf.Tensor2D),
  };
}

function resnextEntry<P extends ResNeXtParams>(name: string, params: z.ZodType<P>, description: string, smallParams: Record<string, unknown>): ModelEntry<P> {
  return {
    name,
    description,
    params,
    smallParams,
    // Depth 29 and the 64-channel stem kept, 2 x 16d: 0.6 GFLOPs an image against 16x64d's 21.5.
    probeParams: { depth: 29, cardinality: 2, base_width: 16 },
    create(p, { inputShape, numClasses, rng }) {
      if (inputShape[0] < 4 || inputShape[1] < 4) throw new ConfigError(`${name} needs inputs of at least 4x4 pixels, got ${inputShape[0]}x${inputShape[1]}`);
      return buildResNeXt(name, p, new ParamStore(rng), inputShape[2], numClasses);
    },
    build: (p, { inputShape, numClasses }, store) => buildResNeXt(name, p, store, inputShape[2], numClasses),
    parameterCount(p, { inputShape, numClasses }) {
      const counter = new ParameterCounter();
      buildResNeXt(name, p, counter, inputShape[2], numClasses);
      return counter.trainable;
    },
  };
}

const SMALL = { depth: 11, cardinality: 2, base_width: 2, stem_width: 8 };

export const resnext29Model = resnextEntry(
  'resnext29',
  resnextParams,
  'ResNeXt-29 (Xie et al. 2017), CIFAR-ZOO layout: 3 stages x 3 bottlenecks with grouped 3x3 convs, cardinality x base_width (16x64d: 68.1M, 8x64d: 34.4M)',
  SMALL,
);

export const seResnext29Model = resnextEntry(
  'se_resnext29',
  seResnextParams,
  'SE-ResNeXt-29 (Hu et al. 2018), CIFAR-ZOO layout: ResNeXt-29 with squeeze-and-excitation (reduction 16) before each residual sum (16x64d, 8x64d)',
  { ...SMALL, se_reduction: 4 },
);
