// Filter normalisation is per filter (Li et al. 2018): a ResNet-20 whose conv filters are rescaled
// one by one (a_k in [1/e, e]) with the following BatchNorm compensated computes the same function,
// and its filter-normalised 1-D curve must be the same to float error. The compensation is exact
// only with BatchNorm's epsilon inside it: var' = a^2 (var + eps) - eps, so sqrt(var' + eps) =
// a sqrt(var + eps). (Scaling var by a^2 alone leaves eps (1 - a^2) behind: logits move by ~1e-4,
// and the curve by more at its large-loss ends; the test prints that size for comparison.)
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import type { IgnoreChoice } from '../../src/landscape/directions.js';
import { pointEvaluator } from '../../src/landscape/evaluate.js';
import { directionSurface } from '../../src/landscape/surfaces.js';
import { models } from '../../src/models/index.js';
import { storeName } from '../../src/models/nn.js';
import { disposeModel, type Model } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { randomise } from '../export/torchCheck.js';

before(async () => {
  await selectBackend('cpu');
});

const SHAPE: [number, number, number] = [8, 8, 3];
const CLASSES = 5;
const EPSILON = 1e-5; // nn.ts's BatchNorm epsilon
const CONV = 'stage2/block1/conv1';
const BN = 'stage2/block1/bn1';
const POINTS = Array.from({ length: 11 }, (_, i) => -1 + i / 5);

function resnet20(): Model {
  const model = models.get('resnet20').create({}, { inputShape: SHAPE, numClasses: CLASSES, rng: RandomStream.derive(4, 'init') });
  randomise(model, 4);
  return model;
}

const variable = (model: Model, name: string) => [...model.params, ...model.buffers].find((v) => storeName(v) === name)!;

/** Filter k of CONV times a_k, BN's moving statistics compensated (exactly, or with var * a^2 only). */
function rescale(model: Model, exact: boolean): void {
  const kernel = variable(model, `${CONV}/kernel`);
  const channels = kernel.shape[3]!;
  const rng = RandomStream.derive(9, 'filter scales');
  const a = tf.tensor1d(Float32Array.from({ length: channels }, () => Math.exp(2 * rng.uniform() - 1)));
  const mean = variable(model, `${BN}/moving_mean`);
  const variance = variable(model, `${BN}/moving_variance`);
  tf.tidy(() => {
    kernel.assign(tf.mul(kernel, a));
    mean.assign(tf.mul(mean, a));
    const scaled = tf.mul(tf.square(a), exact ? tf.add(variance, EPSILON) : variance);
    variance.assign(exact ? tf.sub(scaled, EPSILON) : scaled);
  });
  a.dispose();
}

async function curve(model: Model, ignore: IgnoreChoice): Promise<number[]> {
  const rng = RandomStream.derive(5, 'examples');
  const size = SHAPE.reduce((x, y) => x * y, 1);
  const batches = [0, 1].map(() => ({ x: Float32Array.from({ length: 4 * size }, () => rng.normal()), y: Int32Array.from([0, 1, 2, 3]), size: 4 }));
  const evaluator = pointEvaluator(model, batches, { inputShape: SHAPE, numClasses: CLASSES }, 'stored');
  const surface = directionSurface(model, 3, 1, ignore);
  const losses: number[] = [];
  for (const t of POINTS) {
    surface.moveTo([t]);
    losses.push((await evaluator.evaluate()).loss);
  }
  surface.dispose();
  evaluator.dispose();
  return losses;
}

const largestDifference = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(1, Math.abs(x))));

for (const ignore of ['biasbn', 'none'] as const) {
  test(`a ResNet-20 with one conv layer's filters rescaled and BatchNorm compensated has the same 1-D curve (--ignore ${ignore})`, async (t) => {
    const plain = resnet20();
    const exact = resnet20();
    const naive = resnet20();
    rescale(exact, true);
    rescale(naive, false);
    const [reference, rescaled, approximate] = [await curve(plain, ignore), await curve(exact, ignore), await curve(naive, ignore)];
    [plain, exact, naive].forEach(disposeModel);
    t.diagnostic(`losses ${reference.map((x) => x.toPrecision(4)).join(' ')}; largest relative difference ${largestDifference(reference, rescaled).toExponential(2)} (exact compensation), ${largestDifference(reference, approximate).toExponential(2)} (var * a^2 only)`);
    assert.ok(Math.max(...reference) > 1.5 * Math.min(...reference), 'the curve should rise away from the weights');
    assert.ok(largestDifference(reference, rescaled) < 1e-5, `curves differ by ${largestDifference(reference, rescaled)}: ${reference} vs ${rescaled}`);
  });
}
