// Wide residual networks for CIFAR (Zagoruyko & Komodakis 2016), the WRN-28-10 of the flat-minima
// papers (SAM, ASAM), in the layout of the widely used PyTorch port xternalz/WideResNet-pytorch:
// pre-activation basic blocks, 16 / 16k / 32k / 64k channels, dropout between the two convs.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParamStore, ParameterCounter, batchNorm, conv2d, dropout, preActivationHead, type Layer } from './nn.js';
import type { Model, ModelEntry } from './types.js';

const wrnParams = z
  .object({
    depth: z
      .number()
      .int()
      .min(10)
      .refine((d) => (d - 4) % 6 === 0, 'depth must be 6n + 4 (e.g. 16, 28, 40)')
      .default(28)
      .describe('6n + 4: n blocks per stage (28)'),
    widen: z.number().int().positive().default(10).describe('widening factor k: stages of 16k, 32k, 64k channels (10)'),
    dropout: z.number().min(0).lt(1).default(0).describe('dropout rate between the convs of each block, in training steps only (0: off; the WRN paper uses 0.3)'),
  })
  .strict();

export type WideResNetParams = z.infer<typeof wrnParams>;

/** He-normal over fan-out, as the reference initialises every conv. */
const conv = (store: ParamStore, name: string, inChannels: number, outChannels: number, kernel: number, stride = 1) =>
  conv2d(store, name, { inChannels, outChannels, kernel, stride, fanMode: 'fanOut' });

/**
 * BN-ReLU-conv3x3-[dropout]-BN-ReLU-conv3x3 plus shortcut. Where the width changes, the shortcut
 * is a strided 1x1 conv of the pre-activated input (as the reference shares relu1(bn1(x))).
 */
function wideBlock(store: ParamStore, name: string, inChannels: number, outChannels: number, stride: number, rate: number): Layer {
  const bn1 = batchNorm(store, `${name}/bn1`, inChannels);
  const conv1 = conv(store, `${name}/conv1`, inChannels, outChannels, 3, stride);
  const drop = dropout(rate);
  const bn2 = batchNorm(store, `${name}/bn2`, outChannels);
  const conv2 = conv(store, `${name}/conv2`, outChannels, outChannels, 3);
  const projection = inChannels === outChannels ? null : conv(store, `${name}/shortcut`, inChannels, outChannels, 1, stride);
  if (projection === null && stride !== 1) throw new Error(`${name}: a strided block must change width`);
  return (x, ctx) => {
    const activated = tf.relu(bn1(x, ctx));
    const h = conv2(tf.relu(bn2(drop(conv1(activated, ctx), ctx), ctx)), ctx);
    return tf.add(projection ? projection(activated, ctx) : x, h);
  };
}

function buildWideResNet(p: WideResNetParams, store: ParamStore, inChannels: number, numClasses: number): Model {
  const perStage = (p.depth - 4) / 6;
  const layers: Layer[] = [conv(store, 'stem/conv', inChannels, 16, 3)];
  let channels = 16;
  for (let stage = 1; stage <= 3; stage++) {
    const width = 16 * 2 ** (stage - 1) * p.widen;
    for (let i = 1; i <= perStage; i++) {
      layers.push(wideBlock(store, `stage${stage}/block${i}`, channels, width, stage > 1 && i === 1 ? 2 : 1, p.dropout));
      channels = width;
    }
  }
  const head = preActivationHead(store, channels, numClasses);
  return {
    name: 'wrn',
    params: store.params,
    buffers: store.buffers,
    // The reference pools an 8x8 window, the whole final map of a 32x32 input; a global mean is that at any size.
    forward: (x, ctx) =>
      tf.tidy(() => {
        const features = layers.reduce((h, layer) => layer(h, ctx), x as tf.Tensor);
        return head(features, ctx) as tf.Tensor2D;
      }),
  };
}

export const wideResNetModel: ModelEntry<WideResNetParams> = {
  name: 'wrn',
  description:
    'Wide ResNet WRN-depth-widen (Zagoruyko & Komodakis 2016), layout of xternalz/WideResNet-pytorch: pre-activation blocks of 16k/32k/64k channels, dropout between convs (28-10: 36.5M, 16-8: 11.0M)',
  params: wrnParams,
  smallParams: { depth: 10, widen: 1, dropout: 0.3 },
  // WRN-28-2: 0.4 GFLOPs an image against WRN-28-10's 10.5.
  probeParams: { depth: 28, widen: 2 },
  create(params, { inputShape, numClasses, rng }) {
    if (inputShape[0] < 4 || inputShape[1] < 4) throw new ConfigError(`wrn needs inputs of at least 4x4 pixels, got ${inputShape[0]}x${inputShape[1]}`);
    return buildWideResNet(params, new ParamStore(rng), inputShape[2], numClasses);
  },
  build: (params, { inputShape, numClasses }, store) => buildWideResNet(params, store, inputShape[2], numClasses),
  parameterCount(params, { inputShape, numClasses }) {
    const counter = new ParameterCounter();
    buildWideResNet(params, counter, inputShape[2], numClasses);
    return counter.trainable;
  },
};
