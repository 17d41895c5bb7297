// ImageNet ResNets (He et al. 2016) in the torchvision layout: ResNet-18/34 with basic blocks and
// ResNet-50 with v1.5 bottlenecks, so parameter counts and feature-map sizes match torchvision's.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ParamStore, ParameterCounter, batchNorm, conv2d, dense, globalAveragePool, sequential, type ForwardContext, type Layer } from './nn.js';
import type { Model, ModelEntry, ModelShape } from './types.js';

const STAGE_WIDTHS = [64, 128, 256, 512] as const;
const STEM_WIDTH = 64;

export interface ConvShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride?: number;
}

/** A bias-free convolution as torchvision builds it: symmetric padding kernel/2, He-normal over fan-out. */
export function torchvisionConv(store: ParamStore, name: string, c: ConvShape): Layer {
  return conv2d(store, name, { ...c, fanMode: 'fanOut' });
}

function convBn(store: ParamStore, name: string, c: ConvShape): Layer {
  return sequential(torchvisionConv(store, `${name}/conv`, c), batchNorm(store, `${name}/bn`, c.outChannels));
}

/** Option B: identity when shapes agree, otherwise a strided 1x1 projection + BN (torchvision's `downsample`). */
function projectionShortcut(store: ParamStore, name: string, inChannels: number, outChannels: number, stride: number): Layer {
  if (stride === 1 && inChannels === outChannels) return (x) => x;
  return convBn(store, `${name}/downsample`, { inChannels, outChannels, kernel: 1, stride });
}

interface BlockShape {
  readonly inChannels: number;
  /** The stage width: the block's output channels are width * expansion. */
  readonly width: number;
  readonly stride: number;
}

interface BlockKind {
  readonly expansion: number;
  build(store: ParamStore, name: string, b: BlockShape): Layer;
}

/** 3x3 conv-BN-ReLU, 3x3 conv-BN, plus shortcut, then ReLU. */
const basicBlock: BlockKind = {
  expansion: 1,
  build(store, name, b) {
    const branch = sequential(
      convBn(store, `${name}/1`, { inChannels: b.inChannels, outChannels: b.width, kernel: 3, stride: b.stride }),
      (x) => tf.relu(x),
      convBn(store, `${name}/2`, { inChannels: b.width, outChannels: b.width, kernel: 3 }),
    );
    const shortcut = projectionShortcut(store, name, b.inChannels, b.width, b.stride);
    return (x, ctx) => tf.relu(tf.add(branch(x, ctx), shortcut(x, ctx)));
  },
};

/** 1x1 reduce, 3x3, 1x1 expand (x4); v1.5 strides the 3x3 conv rather than the first 1x1, as torchvision does. */
const bottleneckBlock: BlockKind = {
  expansion: 4,
  build(store, name, b) {
    const outChannels = b.width * 4;
    const branch = sequential(
      convBn(store, `${name}/1`, { inChannels: b.inChannels, outChannels: b.width, kernel: 1 }),
      (x) => tf.relu(x),
      convBn(store, `${name}/2`, { inChannels: b.width, outChannels: b.width, kernel: 3, stride: b.stride }),
      (x) => tf.relu(x),
      convBn(store, `${name}/3`, { inChannels: b.width, outChannels, kernel: 1 }),
    );
    const shortcut = projectionShortcut(store, name, b.inChannels, outChannels, b.stride);
    return (x, ctx) => tf.relu(tf.add(branch(x, ctx), shortcut(x, ctx)));
  },
};

interface Architecture {
  readonly depth: number;
  readonly block: BlockKind;
  readonly blocksPerStage: readonly [number, number, number, number];
}

const ARCHITECTURES: readonly Architecture[] = [
  { depth: 18, block: basicBlock, blocksPerStage: [2, 2, 2, 2] },
  { depth: 34, block: basicBlock, blocksPerStage: [3, 4, 6, 3] },
  { depth: 50, block: bottleneckBlock, blocksPerStage: [3, 4, 6, 3] },
];

/** A Model that also exposes the last feature map (before pooling), to check spatial sizes. */
export interface ImageNetResNet extends Model {
  features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;
}

export interface ImageNetResNetEntry extends ModelEntry<Record<string, never>> {
  create(params: Record<string, never>, shape: ModelShape): ImageNetResNet;
}

function buildImageNetResNet(arch: Architecture, store: ParamStore, inChannels: number, numClasses: number): ImageNetResNet {
  // 7x7/2 conv, then a 3x3/2 max pool with padding 1 (224 -> 112 -> 56). tfjs pools skip padded
  // positions, as torchvision's -inf padding does.
  const stem = sequential(
    convBn(store, 'stem', { inChannels, outChannels: STEM_WIDTH, kernel: 7, stride: 2 }),
    (x) => tf.relu(x),
    (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 1),
  );
  const blocks: Layer[] = [];
  let channels: number = STEM_WIDTH;
  STAGE_WIDTHS.forEach((width, stage) => {
    for (let i = 0; i < arch.blocksPerStage[stage]; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      blocks.push(arch.block.build(store, `stage${stage + 1}/block${i + 1}`, { inChannels: channels, width, stride }));
      channels = width * arch.block.expansion;
    }
  });
  const features = sequential(stem, ...blocks);
  // nn.ts's dense (He-normal weights, zero bias) stands in for torchvision's default nn.Linear
  // init (uniform); the parameter count is the same.
  const head = dense(store, 'fc', channels, numClasses);
  return {
    name: `resnet${arch.depth}`,
    params: store.params,
    buffers: store.buffers,
    features: (x, ctx) => tf.tidy(() => features(x, ctx) as tf.Tensor4D),
    forward: (x, ctx) => tf.tidy(() => head(globalAveragePool(features(x, ctx), ctx), ctx) as tf.Tensor2D),
  };
}

function imageNetResNetEntry(arch: Architecture): ImageNetResNetEntry {
  const block = arch.block === basicBlock ? 'basic blocks' : 'bottleneck blocks (v1.5)';
  return {
    name: `resnet${arch.depth}`,
    description: `ImageNet ResNet-${arch.depth}, torchvision layout: 7x7/2 stem + max pool, 4 stages x [${arch.blocksPerStage.join(',')}] ${block}, projection shortcuts (He et al. 2016)`,
    params: z.object({}).strict(),
    // Any input size works (padding keeps every map at least 1x1); 224x224 gives a 7x7 final map.
    create(_params, { inputShape, numClasses, rng }) {
      return buildImageNetResNet(arch, new ParamStore(rng), inputShape[2], numClasses);
    },
    build: (_params, { inputShape, numClasses }, store) => buildImageNetResNet(arch, store, inputShape[2], numClasses),
    parameterCount(_params, { inputShape, numClasses }) {
      const counter = new ParameterCounter();
      buildImageNetResNet(arch, counter, inputShape[2], numClasses);
      return counter.trainable;
    },
    listedSize: { inputShape: [224, 224, 3], numClasses: 1000 },
  };
}

export const imageNetResNets = ARCHITECTURES.map(imageNetResNetEntry);
