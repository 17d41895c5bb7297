// LeNet-5 (LeCun et al. 1998) in its common modern form: ReLU and max pooling.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ParamStore, conv2d, dense, flatten, relu, sequential, type Layer } from './nn.js';
import type { ModelEntry } from './types.js';

const maxPool: Layer = (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');

export const lenet5Model: ModelEntry<Record<string, never>> = {
  name: 'lenet5',
  description: 'LeNet-5: conv5x5(6)-pool-conv5x5(16)-pool-fc120-fc84, ReLU (LeCun et al. 1998)',
  params: z.object({}).strict(),
  create(_params, { inputShape, numClasses, rng }) {
    const [h, w, c] = inputShape;
    const store = new ParamStore(rng);
    // The first convolution pads so that 28x28 inputs give the classic 5x5x16 feature map.
    const featureSide = (side: number) => Math.floor((Math.floor(side / 2) - 4) / 2);
    if (featureSide(h) < 1 || featureSide(w) < 1) {
      throw new ConfigError(`lenet5 needs inputs of at least 12x12 pixels, got ${h}x${w}`);
    }
    const features = featureSide(h) * featureSide(w) * 16;
    const net = sequential(
      conv2d(store, 'conv1', { inChannels: c, outChannels: 6, kernel: 5, padding: 2, bias: true }),
      relu,
      maxPool,
      conv2d(store, 'conv2', { inChannels: 6, outChannels: 16, kernel: 5, padding: 0, bias: true }),
      relu,
      maxPool,
      flatten,
      dense(store, 'fc1', features, 120),
      relu,
      dense(store, 'fc2', 120, 84),
      relu,
      dense(store, 'logits', 84, numClasses),
    );
    return { name: 'lenet5', params: store.params, buffers: store.buffers, forward: (x, ctx) => net(x, ctx) as never };
  },
};
