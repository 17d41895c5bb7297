// DenseNet-BC for CIFAR (Huang et al. 2017, "Densely Connected Convolutional Networks") in the
// layout of CIFAR-ZOO's models/densenet.py, the code base the paper's CIFAR runs follow.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParamStore, ParameterCounter, batchNorm, conv2d, preActivationHead, type Layer } from './nn.js';
import type { Model, ModelEntry } from './types.js';

const densenetParams = z
  .object({
    depth: z
      .number()
      .int()
      .min(10)
      .refine((d) => (d - 4) % 6 === 0, 'depth must be 6n + 4 (e.g. 40, 100, 190)')
      .default(100)
      .describe('total depth, 6n + 4: n bottleneck layers per dense block (100: n = 16)'),
    growth: z.number().int().positive().default(12).describe('growth rate k: channels each bottleneck adds (12; 40 for DenseNet-BC-190)'),
    reduction: z.number().gt(0).max(1).default(0.5).describe('compression theta of the transitions (0.5, the "C" of BC)'),
  })
  .strict();

export type DenseNetParams = z.infer<typeof densenetParams>;

/** BN-ReLU-conv1x1(4k)-BN-ReLU-conv3x3(k); its k new channels go before its input, as torch.cat([out, x]). */
function bottleneck(store: ParamStore, name: string, inChannels: number, growth: number): Layer {
  const bn1 = batchNorm(store, `${name}/bn1`, inChannels);
  const conv1 = conv2d(store, `${name}/conv1`, { inChannels, outChannels: 4 * growth, kernel: 1 });
  const bn2 = batchNorm(store, `${name}/bn2`, 4 * growth);
  const conv2 = conv2d(store, `${name}/conv2`, { inChannels: 4 * growth, outChannels: growth, kernel: 3 });
  return (x, ctx) => tf.concat([conv2(tf.relu(bn2(conv1(tf.relu(bn1(x, ctx)), ctx), ctx)), ctx), x], 3);
}

/** BN-ReLU-conv1x1, then a 2x2 average pool (floor on odd sides, as F.avg_pool2d). */
function transition(store: ParamStore, name: string, inChannels: number, outChannels: number): Layer {
  const bn = batchNorm(store, `${name}/bn`, inChannels);
  const conv = conv2d(store, `${name}/conv`, { inChannels, outChannels, kernel: 1 });
  return (x, ctx) => tf.avgPool(conv(tf.relu(bn(x, ctx)), ctx) as tf.Tensor4D, 2, 2, 'valid');
}

function buildDenseNet(p: DenseNetParams, store: ParamStore, inChannels: number, numClasses: number): Model {
  const perBlock = (p.depth - 4) / 6;
  let channels = 2 * p.growth;
  const layers: Layer[] = [conv2d(store, 'stem/conv', { inChannels, outChannels: channels, kernel: 3 })];
  for (let stage = 1; stage <= 3; stage++) {
    for (let i = 1; i <= perBlock; i++) {
      layers.push(bottleneck(store, `stage${stage}/layer${i}`, channels, p.growth));
      channels += p.growth;
    }
    if (stage < 3) {
      const out = Math.floor(channels * p.reduction);
      layers.push(transition(store, `stage${stage}/transition`, channels, out));
      channels = out;
    }
  }
  const head = preActivationHead(store, channels, numClasses);
  return {
    name: 'densenet_bc',
    params: store.params,
    buffers: store.buffers,
    // CIFAR-ZOO pools with an 8x8 window, the whole map at 32x32; a global mean is the same there
    // and works at any input size.
    forward: (x, ctx) =>
      tf.tidy(() => {
        const features = layers.reduce((h, layer) => layer(h, ctx), x as tf.Tensor);
        return head(features, ctx) as tf.Tensor2D;
      }),
  };
}

export const densenetBcModel: ModelEntry<DenseNetParams> = {
  name: 'densenet_bc',
  description: 'DenseNet-BC (Huang et al. 2017), CIFAR-ZOO layout: 3x3 stem of 2k, 3 dense blocks of BN-ReLU-1x1(4k)-BN-ReLU-3x3(k) bottlenecks, compressing transitions (100-12: 0.8M, 190-40: 25.6M)',
  params: densenetParams,
  smallParams: { depth: 10, growth: 4 },
  // DenseNet-BC-100-12: 0.6 GFLOPs an image against 190-40's 18.8.
  probeParams: { depth: 100, growth: 12 },
  create(params, { inputShape, numClasses, rng }) {
    // Two 2x2 pools: 4x4 is the smallest input that keeps a pixel.
    if (inputShape[0] < 4 || inputShape[1] < 4) throw new ConfigError(`densenet_bc needs inputs of at least 4x4 pixels, got ${inputShape[0]}x${inputShape[1]}`);
    return buildDenseNet(params, new ParamStore(rng), inputShape[2], numClasses);
  },
  build: (params, { inputShape, numClasses }, store) => buildDenseNet(params, store, inputShape[2], numClasses),
  parameterCount(params, { inputShape, numClasses }) {
    const counter = new ParameterCounter();
    buildDenseNet(params, counter, inputShape[2], numClasses);
    return counter.trainable;
  },
};
