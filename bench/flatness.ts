// `npm run bench -- flatness`: the cost of one Hessian-vector product of ResNet-20's loss on wasm
// (CIFAR shape, one batch of 128 examples, BatchNorm in inference mode, as vdm flatness measures),
// exact (nested gradients) and by finite differences (two gradients), each as a ratio to one
// gradient. Wall and CPU time, medians of --flatness-rounds=N (default 3) after a warm-up of each.
// Results go to bench/results/flatness-<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/resolve.js';
import { datasets } from '../src/datasets/index.js';
import { hessianVectorProduct } from '../src/flatness/hvp.js';
import { modelLoss } from '../src/flatness/modelLoss.js';
import { balancedSubset } from '../src/flatness/subset.js';
import { normalVector, type ParamVector } from '../src/flatness/vectors.js';
import { models } from '../src/models/index.js';
import { disposeModel } from '../src/models/types.js';
import { RandomStream } from '../src/random.js';

const SAMPLES = 128;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Timing {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median wall and CPU seconds of `run` (which returns tensors to read back and free). */
async function time(rounds: number, run: () => Promise<tf.Tensor[]>): Promise<Timing> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const out = await run();
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    const used = process.cpuUsage(cpuStart);
    if (r === 0) continue; // warm-up: kernels set up on first use
    wall.push((performance.now() - started) / 1000);
    cpu.push((used.user + used.system) / 1e6);
  }
  return { wallSeconds: median(wall), cpuSeconds: median(cpu) };
}

export async function bench(): Promise<void> {
  const rounds = Number(process.argv.find((a) => a.startsWith('--flatness-rounds='))?.split('=')[1] ?? 3);
  const backend = await selectBackend('wasm');
  const dataset = await datasets.get('synthetic').create(
    { shape: [32, 32, 3], classes: 10, size: SAMPLES, test_size: 10, noise: 0.5, data_seed: 1 },
    { seed: 0, augment: 'none' },
  );
  const model = models.get('resnet20').create({}, { inputShape: [32, 32, 3], numClasses: 10, rng: RandomStream.derive(0, 'init') });
  const loss = modelLoss(model, await balancedSubset(dataset, 'train', SAMPLES, SAMPLES, 0), dataset);
  const v: ParamVector = normalVector(model.params.map((p) => p.shape), RandomStream.derive(0, 'bench v'));
  const exact = await hessianVectorProduct(loss, 'exact');
  const fd = await hessianVectorProduct(loss, 'finite-difference');
  try {
    const tensors = tf.memory().numTensors;
    const gradient = await time(rounds, () => loss.gradient());
    const exactTime = await time(rounds, () => exact.hvp(v));
    const fdTime = await time(rounds, () => fd.hvp(v));
    const leaked = tf.memory().numTensors - tensors;
    const line = (what: string, t: Timing) =>
      `  ${what}: ${t.wallSeconds.toFixed(2)} s wall (${(t.wallSeconds / gradient.wallSeconds).toFixed(2)}x a gradient), ` +
      `${t.cpuSeconds.toFixed(2)} s CPU (${(t.cpuSeconds / gradient.cpuSeconds).toFixed(2)}x)`;
    console.log(`backend ${backend.name}${backend.threads ? ` (${backend.threads} threads)` : ''}; ResNet-20, ${SAMPLES} examples 32x32x3 in one batch, median of ${rounds}`);
    console.log(`  gradient: ${gradient.wallSeconds.toFixed(2)} s wall, ${gradient.cpuSeconds.toFixed(2)} s CPU`);
    console.log(line('exact HVP (nested gradients)', exactTime));
    console.log(line('finite-difference HVP (two gradients)', fdTime));
    console.log(`  tensors across products: ${leaked} more (0: no leak)`);
    mkdirSync(RESULTS, { recursive: true });
    const file = `${RESULTS}flatness-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version, threads: backend.threads };
    writeFileSync(file, `${JSON.stringify({ machine, samples: SAMPLES, rounds, gradient, exact: exactTime, finiteDifference: fdTime, leaked }, null, 2)}\n`);
    console.log(`results: ${file}`);
  } finally {
    exact.dispose();
    fd.dispose();
    tf.dispose([...v]);
    loss.dispose();
    disposeModel(model);
  }
}
