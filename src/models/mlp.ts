// A multi-layer perceptron on flattened images: the smallest model, for tests and sanity checks.
import { z } from 'zod';
import { ParamStore, dense, flatten, relu, sequential, type Layer } from './nn.js';
import type { ModelEntry } from './types.js';
import { ConfigError } from '../errors.js';

/** 200 million float32 weights (800 MB, x3 with Adam's slots): far past what an MLP here needs. */
const MAX_WEIGHTS = 2e8;

const mlpParams = z.object({ hidden: z.array(z.number().int().positive().max(100_000, 'a hidden layer has at most 100000 units')).default([256, 128]).describe('hidden layer widths') }).strict();

export const mlpModel: ModelEntry<z.infer<typeof mlpParams>> = {
  name: 'mlp',
  description: 'multi-layer perceptron with ReLU on flattened inputs (hidden: [256, 128])',
  params: mlpParams,
  create({ hidden }, { inputShape, numClasses, rng }) {
    const store = new ParamStore(rng);
    const layers: Layer[] = [flatten];
    let width = inputShape[0] * inputShape[1] * inputShape[2];
    // Counted before any weight exists: 3 x 60000 units would ask for 14 GB and swap for minutes.
    const weights = [width, ...hidden, numClasses].reduce((sum, n, i, all) => (i === 0 ? 0 : sum + all[i - 1]! * n), 0);
    if (weights > MAX_WEIGHTS) {
      throw new ConfigError(`hidden ${JSON.stringify(hidden)} makes ${weights.toExponential(2)} weights on a ${width}-value input; at most ${MAX_WEIGHTS.toExponential(0)} (make the layers smaller)`);
    }
    hidden.forEach((units, i) => {
      layers.push(dense(store, `fc${i + 1}`, width, units), relu);
      width = units;
    });
    layers.push(dense(store, 'logits', width, numClasses));
    const net = sequential(...layers);
    return { name: 'mlp', params: store.params, buffers: store.buffers, forward: (x, ctx) => net(x, ctx) as never };
  },
};
