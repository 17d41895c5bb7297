// `npm run bench -- landscape`: the time of a 21x21 ResNet-20 landscape on 1,024 examples (CIFAR
// shape, batch 128) on wasm, the fastest backend here. A full grid takes many minutes on two
// cores, so a sample of points is timed after a warm-up point and the grid is extrapolated (said
// so in the output); `--landscape-full` times every point instead.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/resolve.js';
import { datasets } from '../src/datasets/index.js';
import { balancedSubset } from '../src/flatness/subset.js';
import { pointEvaluator } from '../src/landscape/evaluate.js';
import { formatSeconds } from '../src/landscape/progress.js';
import { gridPoints, landscapeDefaults, type LandscapeSettings } from '../src/landscape/settings.js';
import { directionSurface } from '../src/landscape/surfaces.js';
import { models } from '../src/models/index.js';
import { disposeModel } from '../src/models/types.js';
import { RandomStream } from '../src/random.js';

const SAMPLES = 1024;
const BATCH = 128;
const STEPS = 21;
const SAMPLED_POINTS = 4;

export async function bench(): Promise<void> {
  const backend = await selectBackend('wasm');
  const dataset = await datasets.get('synthetic').create(
    { shape: [32, 32, 3], classes: 10, size: SAMPLES, test_size: 10, noise: 0.5, data_seed: 1 },
    { seed: 0, augment: 'none' },
  );
  const model = models.get('resnet20').create({}, { inputShape: [32, 32, 3], numClasses: 10, rng: RandomStream.derive(0, 'init') });
  const settings: LandscapeSettings = { ...landscapeDefaults, kind: '2d', steps: STEPS, samples: SAMPLES, splits: ['train'], batchSize: BATCH, partner: null };
  const points = gridPoints(settings);
  const full = process.argv.includes('--landscape-full');
  const timed = full ? points.length : SAMPLED_POINTS;
  const batches = await balancedSubset(dataset, 'train', SAMPLES, BATCH, 0);
  const evaluator = pointEvaluator(model, batches, dataset, 'stored');
  const surface = directionSurface(model, 0, 2, 'biasbn');
  try {
    surface.moveTo(points[0]);
    await evaluator.evaluate(); // warm-up: kernels compile on first use
    const tensors = tf.memory().numTensors;
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    // Spread over the grid (the cost does not depend on where a point is, but this shows it).
    for (let k = 0; k < timed; k++) {
      surface.moveTo(points[Math.floor((k * points.length) / timed)]);
      await evaluator.evaluate();
    }
    const perPoint = (performance.now() - started) / 1000 / timed;
    const cpu = process.cpuUsage(cpuStart);
    const cpuPerPoint = (cpu.user + cpu.system) / 1e6 / timed;
    const threads = backend.threads ?? 1;
    const how = full ? `measured over all ${points.length} points` : `extrapolated from ${timed} timed points`;
    console.log(`backend ${backend.name}${backend.threads ? ` (${backend.threads} threads)` : ''}; ResNet-20, ${SAMPLES} examples 32x32x3, batch ${BATCH}`);
    console.log(`  per point: ${perPoint.toFixed(2)} s (${((SAMPLES / perPoint) | 0)} images/s forward)`);
    console.log(`  ${STEPS}x${STEPS} landscape (${points.length} points): ${formatSeconds(perPoint * points.length)}, ${how}`);
    // On a shared machine the wall time counts other people's work; CPU time / threads does not.
    console.log(`  CPU time per point: ${cpuPerPoint.toFixed(2)} s; on ${threads} idle cores about ${formatSeconds((cpuPerPoint / threads) * points.length)} for the grid`);
    console.log(`  tensors across points: ${tf.memory().numTensors - tensors} more after ${timed} points (0: no leak)`);
  } finally {
    surface.dispose();
    evaluator.dispose();
    disposeModel(model);
  }
}
