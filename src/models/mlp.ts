// A multi-layer perceptron on flattened images: the smallest model, for tests and sanity checks.
import { z } from 'zod';
import { ParamStore, dense, flatten, relu, sequential, type Layer } from './nn.js';
import type { ModelEntry } from './types.js';

const mlpParams = z.object({ hidden: z.array(z.number().int().positive().max(100_000, 'a hidden layer has at most 100000 units')).default([256, 128]).describe('hidden layer widths') }).strict();

export const mlpModel: ModelEntry<z.infer<typeof mlpParams>> = {
  name: 'mlp',
  description: 'multi-layer perceptron with ReLU on flattened inputs (hidden: [256, 128])',
  params: mlpParams,
  create({ hidden }, { inputShape, numClasses, rng }) {
    const store = new ParamStore(rng);
    const layers: Layer[] = [flatten];
    let width = inputShape[0] * inputShape[1] * inputShape[2];
    hidden.forEach((units, i) => {
      layers.push(dense(store, `fc${i + 1}`, width, units), relu);
      width = units;
    });
    layers.push(dense(store, 'logits', width, numClasses));
    const net = sequential(...layers);
    return { name: 'mlp', params: store.params, buffers: store.buffers, forward: (x, ctx) => net(x, ctx) as never };
  },
};
