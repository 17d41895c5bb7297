// CIFAR ResNets (He et al. 2016, "Deep Residual Learning", section 4.2) and their pre-activation
// variants (He et al. 2016, "Identity Mappings"): depth = 6n + 2, three stages of n basic blocks
// with 16/32/64 filters, option-A (parameter-free) shortcuts.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParamStore, ParameterCounter, batchNorm, conv2d, dense, globalAveragePool, type Layer } from './nn.js';
import type { Model, ModelEntry } from './types.js';

const STAGE_WIDTHS = [16, 32, 64] as const;

/** Option A: subsample by 2 and zero-pad the new channels, adding no parameters. */
function optionAShortcut(inChannels: number, outChannels: number, stride: number): Layer {
  if (stride === 1 && inChannels === outChannels) return (x) => x;
  const extra = outChannels - inChannels;
  return (x) => {
    // x[:, ::stride, ::stride, :] as a 1x1 average pool: StridedSlice has no gradient in tfjs.
    const sub = tf.avgPool(x as tf.Tensor4D, 1, stride, 'valid');
    return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [Math.floor(extra / 2), Math.ceil(extra / 2)]]);
  };
}

interface BlockShape {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
}

/** conv-BN-ReLU-conv-BN, plus shortcut, then ReLU. */
function basicBlock(store: ParamStore, name: string, b: BlockShape): Layer {
  const conv1 = conv2d(store, `${name}/conv1`, { inChannels: b.inChannels, outChannels: b.outChannels, kernel: 3, stride: b.stride });
  const bn1 = batchNorm(store, `${name}/bn1`, b.outChannels);
  const conv2 = conv2d(store, `${name}/conv2`, { inChannels: b.outChannels, outChannels: b.outChannels, kernel: 3 });
  const bn2 = batchNorm(store, `${name}/bn2`, b.outChannels);
  const shortcut = optionAShortcut(b.inChannels, b.outChannels, b.stride);
  return (x, ctx) => {
    const h = bn2(conv2(tf.relu(bn1(conv1(x, ctx), ctx)), ctx), ctx);
    return tf.relu(tf.add(h, shortcut(x, ctx)));
  };
}

/** BN-ReLU-conv-BN-ReLU-conv, plus shortcut (no activation after the sum). */
function preActivationBlock(store: ParamStore, name: string, b: BlockShape): Layer {
  const bn1 = batchNorm(store, `${name}/bn1`, b.inChannels);
  const conv1 = conv2d(store, `${name}/conv1`, { inChannels: b.inChannels, outChannels: b.outChannels, kernel: 3, stride: b.stride });
  const bn2 = batchNorm(store, `${name}/bn2`, b.outChannels);
  const conv2 = conv2d(store, `${name}/conv2`, { inChannels: b.outChannels, outChannels: b.outChannels, kernel: 3 });
  const shortcut = optionAShortcut(b.inChannels, b.outChannels, b.stride);
  return (x, ctx) => {
    const h = conv2(tf.relu(bn2(conv1(tf.relu(bn1(x, ctx)), ctx), ctx)), ctx);
    return tf.add(h, shortcut(x, ctx));
  };
}

function buildCifarResNet(name: string, depth: number, preActivation: boolean, store: ParamStore, inChannels: number, numClasses: number): Model {
  const blocksPerStage = (depth - 2) / 6;
  const stem = conv2d(store, 'stem/conv', { inChannels, outChannels: STAGE_WIDTHS[0], kernel: 3 });
  const stemBn = preActivation ? null : batchNorm(store, 'stem/bn', STAGE_WIDTHS[0]);
  const makeBlock = preActivation ? preActivationBlock : basicBlock;
  const blocks: Layer[] = [];
  let channels: number = STAGE_WIDTHS[0];
  STAGE_WIDTHS.forEach((width, stage) => {
    for (let i = 0; i < blocksPerStage; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      blocks.push(makeBlock(store, `stage${stage + 1}/block${i + 1}`, { inChannels: channels, outChannels: width, stride }));
      channels = width;
    }
  });
  const finalBn = preActivation ? batchNorm(store, 'final/bn', channels) : null;
  const head = dense(store, 'logits', channels, numClasses);
  return {
    name,
    params: store.params,
    buffers: store.buffers,
    forward: (x, ctx) =>
      tf.tidy(() => {
        let h = stem(x, ctx);
        if (stemBn) h = tf.relu(stemBn(h, ctx));
        for (const block of blocks) h = block(h, ctx);
        if (finalBn) h = tf.relu(finalBn(h, ctx));
        return head(globalAveragePool(h, ctx), ctx) as tf.Tensor2D;
      }),
  };
}

function cifarResNetEntry(depth: number, preActivation: boolean): ModelEntry<Record<string, never>> {
  const name = `${preActivation ? 'preresnet' : 'resnet'}${depth}`;
  const paper = preActivation ? 'pre-activation, He et al. 2016 "Identity Mappings"' : 'He et al. 2016';
  return {
    name,
    description: `CIFAR ${preActivation ? 'PreResNet' : 'ResNet'}-${depth}: 3 stages x ${(depth - 2) / 6} basic blocks, 16/32/64 filters, option-A shortcuts (${paper})`,
    params: z.object({}).strict(),
    create(_params, { inputShape, numClasses, rng }) {
      if (inputShape[0] < 4 || inputShape[1] < 4) {
        throw new ConfigError(`${name} needs inputs of at least 4x4 pixels, got ${inputShape[0]}x${inputShape[1]}`);
      }
      return buildCifarResNet(name, depth, preActivation, new ParamStore(rng), inputShape[2], numClasses);
    },
    build: (_params, { inputShape, numClasses }, store) => buildCifarResNet(name, depth, preActivation, store, inputShape[2], numClasses),
    parameterCount(_params, { inputShape, numClasses }) {
      const counter = new ParameterCounter();
      buildCifarResNet(name, depth, preActivation, counter, inputShape[2], numClasses);
      return counter.trainable;
    },
  };
}

export const cifarResNets = [20, 32, 44, 56, 110].map((depth) => cifarResNetEntry(depth, false));
export const cifarPreResNets = [20, 56, 110].map((depth) => cifarResNetEntry(depth, true));
