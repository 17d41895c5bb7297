// EfficientNet-B0 (Tan & Le 2019) for 32x32 images, in the layout of kuangliu/pytorch-cifar's
// models/efficientnet.py: a stride-1 3x3 stem of 32 channels (ImageNet's is stride 2), the seven
// MBConv stages of the B0 table, no 1x1 head conv (the ImageNet model's 320 -> 1280), global mean,
// dropout, linear. Width and depth multipliers scale it as the paper's compound scaling does.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParamStore, ParameterCounter, batchNorm, conv2d, dense, dropPath, dropout, globalAveragePool, sequential, swish, type Layer } from './nn.js';
import type { Model, ModelEntry, ModelSize } from './types.js';

const efficientNetParams = z
  .object({
    width: z.number().gt(0).max(8).default(1).describe('channel multiplier; channels round to multiples of 8 as in the paper (1: B0)'),
    depth: z.number().gt(0).max(8).default(1).describe('block-count multiplier, ceil(depth * blocks) per stage (1: B0)'),
    dropout: z.number().min(0).lt(1).default(0.2).describe('dropout before the classifier, in training steps only (0.2)'),
    drop_connect: z.number().min(0).lt(1).default(0.2).describe('stochastic depth of the residual MBConv blocks, rising linearly to this over the blocks (0.2)'),
  })
  .strict();

export type EfficientNetParams = z.infer<typeof efficientNetParams>;

interface Stage {
  readonly expansion: number;
  readonly channels: number;
  readonly blocks: number;
  readonly kernel: number;
  readonly stride: number;
}

/** The B0 table (Tan & Le 2019, Table 1), with kuangliu's strides for 32x32 inputs (the stem keeps the size). */
const B0: readonly Stage[] = [
  { expansion: 1, channels: 16, blocks: 1, kernel: 3, stride: 1 },
  { expansion: 6, channels: 24, blocks: 2, kernel: 3, stride: 2 },
  { expansion: 6, channels: 40, blocks: 2, kernel: 5, stride: 2 },
  { expansion: 6, channels: 80, blocks: 3, kernel: 3, stride: 2 },
  { expansion: 6, channels: 112, blocks: 3, kernel: 5, stride: 1 },
  { expansion: 6, channels: 192, blocks: 4, kernel: 5, stride: 2 },
  { expansion: 6, channels: 320, blocks: 1, kernel: 3, stride: 1 },
];
const STEM_CHANNELS = 32;
const SE_RATIO = 0.25;

/** The paper's channel rounding: nearest multiple of 8, at least 8, never 10% below the product. */
export function roundChannels(channels: number, width: number, divisor = 8): number {
  const scaled = channels * width;
  const rounded = Math.max(divisor, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * scaled ? rounded + divisor : rounded;
}

interface BlockShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly expansion: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dropConnect: number;
}

/**
 * Squeeze-excitation with swish, squeezing to a quarter of the BLOCK's input channels (not the
 * expanded ones), as the reference does: mean, 1x1 conv, swish, 1x1 conv, sigmoid gate.
 */
function squeezeExcitation(store: ParamStore, name: string, channels: number, squeezed: number): Layer {
  const fc1 = conv2d(store, `${name}/fc1`, { inChannels: channels, outChannels: squeezed, kernel: 1, bias: true });
  const fc2 = conv2d(store, `${name}/fc2`, { inChannels: squeezed, outChannels: channels, kernel: 1, bias: true });
  return (x, ctx) => tf.mul(x, tf.sigmoid(fc2(swish(fc1(tf.mean(x, [1, 2], true), ctx)), ctx)));
}

/** MBConv: [1x1 expand, BN, swish], depthwise kxk (strided), BN, swish, SE, 1x1 project, BN; residual where shapes allow. */
function mbConv(store: ParamStore, name: string, b: BlockShape): Layer {
  const inner = b.inChannels * b.expansion;
  // Expansion 1 has no expand conv (kuangliu's module allocates one it never uses: not copied).
  const expand =
    b.expansion === 1
      ? null
      : sequential(conv2d(store, `${name}/conv1`, { inChannels: b.inChannels, outChannels: inner, kernel: 1 }), batchNorm(store, `${name}/bn1`, inner), swish);
  const depthwise = sequential(
    conv2d(store, `${name}/conv2`, { inChannels: inner, outChannels: inner, kernel: b.kernel, stride: b.stride, groups: inner }),
    batchNorm(store, `${name}/bn2`, inner),
    swish,
  );
  const se = squeezeExcitation(store, `${name}/se`, inner, Math.max(1, Math.floor(b.inChannels * SE_RATIO)));
  const project = sequential(conv2d(store, `${name}/conv3`, { inChannels: inner, outChannels: b.outChannels, kernel: 1 }), batchNorm(store, `${name}/bn3`, b.outChannels));
  const residual = b.stride === 1 && b.inChannels === b.outChannels;
  const drop = dropPath(b.dropConnect);
  return (x, ctx) => {
    const h = project(se(depthwise(expand ? expand(x, ctx) : x, ctx), ctx), ctx);
    return residual ? tf.add(drop(h, ctx), x) : h;
  };
}

function buildEfficientNet(p: EfficientNetParams, store: ParamStore, { inputShape, numClasses }: ModelSize): Model {
  const stages = B0.map((s) => ({ ...s, channels: roundChannels(s.channels, p.width), blocks: Math.ceil(s.blocks * p.depth) }));
  const total = stages.reduce((n, s) => n + s.blocks, 0);
  let channels = roundChannels(STEM_CHANNELS, p.width);
  const layers: Layer[] = [conv2d(store, 'stem/conv', { inChannels: inputShape[2], outChannels: channels, kernel: 3 }), batchNorm(store, 'stem/bn', channels), swish];
  let index = 0;
  for (const stage of stages) {
    for (let i = 0; i < stage.blocks; i++) {
      // The EfficientNet reference's linear rule, rate * index / blocks (kuangliu's never advances its index: always 0).
      const dropConnect = (p.drop_connect * index) / total;
      const shape = { inChannels: channels, outChannels: stage.channels, expansion: stage.expansion, kernel: stage.kernel, stride: i === 0 ? stage.stride : 1, dropConnect };
      layers.push(mbConv(store, `block${++index}`, shape));
      channels = stage.channels;
    }
  }
  const head = sequential(globalAveragePool, dropout(p.dropout), dense(store, 'logits', channels, numClasses));
  const network = sequential(...layers, head);
  return { name: 'efficientnet_b0', params: store.params, buffers: store.buffers, forward: (x, ctx) => tf.tidy(() => network(x, ctx) as tf.Tensor2D) };
}

export const efficientNetB0Model: ModelEntry<EfficientNetParams> = {
  name: 'efficientnet_b0',
  description:
    'EfficientNet-B0 (Tan & Le 2019), layout of kuangliu/pytorch-cifar: stride-1 3x3 stem for 32x32, 16 MBConv blocks (depthwise conv, SE, swish), dropout, linear; width/depth multipliers (B0 on CIFAR-10: 3.6M)',
  params: efficientNetParams,
  smallParams: { width: 0.25, depth: 0.5, dropout: 0.2, drop_connect: 0.2 },
  create(params, { inputShape, numClasses, rng }) {
    // Four stride-2 stages: below 16x16 the last maps are a single pixel, still a valid network.
    if (inputShape[0] < 2 || inputShape[1] < 2) throw new ConfigError(`efficientnet_b0 needs inputs of at least 2x2 pixels, got ${inputShape[0]}x${inputShape[1]}`);
    return buildEfficientNet(params, new ParamStore(rng), { inputShape, numClasses });
  },
  build: (params, size, store) => buildEfficientNet(params, store, size),
  parameterCount(params, size) {
    const counter = new ParameterCounter();
    buildEfficientNet(params, counter, size);
    return counter.trainable;
  },
};
