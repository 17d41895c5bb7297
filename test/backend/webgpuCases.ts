// The webgpu cases, run by webgpu.test.ts in a child process with a Vulkan driver configured:
// each model family's logits and gradients, the fused training BatchNorm, a Hessian-vector product
// and a short training run on webgpu against the cpu backend, and vdm's fused webgpu kernels
// against the tfjs ops they replace. Shapes are tiny: SwiftShader runs WebGPU on the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { batchNormTraining } from '../../src/backend/batchNormTraining.js';
import { hasFusedKernel, setFusedKernels } from '../../src/backend/webgpuElementwise.js';
import { CONSTANT_OPERAND_KERNEL } from '../../src/backend/constantOperands.js';
import { BATCH_NORM_APPLY_KERNEL, BATCH_NORM_INPUT_GRAD_KERNEL, BATCH_NORM_SCALE_GRAD_KERNEL } from '../../src/backend/webgpuBatchNormKernels.js';
import { CHANNEL_SUMS_KERNEL } from '../../src/backend/channelSumsKernel.js';
import { RELU_GRAD_KERNEL } from '../../src/backend/webgpuReluGradient.js';
import { ADAM_STEP_KERNEL, MOVING_AVERAGE_KERNEL, SGD_STEP_KERNEL } from '../../src/backend/webgpuFusedUpdates.js';
import { exactHvp } from '../../src/flatness/exactHvp.js';
import { models } from '../../src/models/index.js';
import { optimizers } from '../../src/optimizers/index.js';
import { disposeModel } from '../../src/models/types.js';
import { applyBatchNormUpdates, type BatchNormUpdate } from '../../src/models/nn.js';
import { RandomStream } from '../../src/random.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFiles } from '../helpers/files.js';

function randomValues(count: number, seed: number): Float32Array {
  const stream = RandomStream.derive(seed, 'webgpu-test');
  return Float32Array.from({ length: count }, () => stream.uniform() * 2 - 1);
}

/** Every array within 1e-4 of the reference, relative to the reference's largest magnitude. */
function assertClose(actual: Float32Array[], expected: Float32Array[], what: string): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
    const worst = e.reduce((m, v, j) => Math.max(m, Math.abs(v - a[j]!)), 0);
    assert.ok(Number.isFinite(worst) && worst <= 1e-4 * scale, `${what} [${i}]: largest difference ${worst}, scale ${scale}`);
  });
}

/** Runs `compute` on the cpu backend, then on webgpu; returns both results (read asynchronously). */
async function onCpuAndWebgpu(compute: () => tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'webgpu'] as const) {
    await selectBackend(backend);
    const tensors = compute();
    results.push(await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose(tensors);
  }
  return [results[0]!, results[1]!];
}

test('webgpu starts on a WebGPU adapter and reports it', async () => {
  const report = await selectBackend('webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.ok(report.adapter, 'the report names the adapter');
  assert.ok(report.adapter.vendor !== '' || report.adapter.description !== '');
});

// resnet18's gradients are taken in inference mode (moving statistics): in training mode its last
// stages normalise 1x1 maps over the batch, which is so ill-conditioned at these tiny inputs that
// float32 rounding differences reach 1e-2 in the stem's gradient. Training-mode BatchNorm is
// covered by the CIFAR ResNets and the fused BatchNorm case.
const cases: [string, [number, number, number], boolean][] = [
  ['mlp', [4, 4, 1], true],
  ['lenet5', [12, 12, 1], true],
  ['resnet20', [8, 8, 3], true],
  ['preresnet20', [8, 8, 3], true],
  ['resnet18', [16, 16, 3], false],
  // One of each family of the paper's CIFAR nets, at their small variants (entry.smallParams).
  ['densenet_bc', [8, 8, 3], true],
  ['resnext29', [8, 8, 3], true],
  ['se_resnext29', [8, 8, 3], true],
  ['wrn', [8, 8, 3], true],
  // Depthwise convs and SE; inference-mode BatchNorm for resnet18's reason (1x1 maps at the end).
  ['efficientnet_b0', [16, 16, 3], false],
];

for (const [name, inputShape, training] of cases) {
  test(`${name}: logits, gradients and BatchNorm statistics on webgpu match cpu`, async () => {
    const batch = 2;
    const input = randomValues(batch * inputShape.reduce((a, b) => a * b), 7);
    const [cpu, webgpu] = await onCpuAndWebgpu(() => {
      const entry = models.get(name);
      const model = entry.create(entry.params.parse(entry.smallParams ?? {}), { inputShape, numClasses: 3, rng: RandomStream.derive(1, 'init') });
      const updates: BatchNormUpdate[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.tensor4d(input, [batch, ...inputShape]);
        const logits = model.forward(x, { training, batchNormUpdates: updates });
        return tf.mean(tf.square(logits)) as tf.Scalar;
      }, model.params);
      const logits = tf.tidy(() => model.forward(tf.tensor4d(input, [batch, ...inputShape]), { training: false, batchNormUpdates: [] }));
      const out = [logits, value, ...model.params.map((p) => grads[p.name]!), ...updates.flatMap((u) => [u.mean, u.variance])];
      disposeModel(model);
      return out;
    });
    assertClose(webgpu, cpu, name);
  });
}

/** The training BatchNorm's output, batch statistics, gradients and moving statistics, on the active backend. */
function trainingBatchNorm(shape = [4, 5, 5, 6]): tf.Tensor[] {
  const size = tf.util.sizeFromShape(shape);
  const channels = shape[3]!;
  const x = tf.add(tf.tensor(randomValues(size, 1), shape), 0.5);
  const gamma = tf.tensor1d(randomValues(channels, 2));
  const beta = tf.tensor1d(randomValues(channels, 3));
  const dyWeights = tf.tensor(randomValues(size, 4), shape);
  let stats: tf.Tensor[] = [];
  const { value, grads } = tf.valueAndGrads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const r = batchNormTraining(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
    stats = [r.mean, r.variance];
    return tf.sum(tf.mul(r.y, dyWeights));
  })([x, gamma, beta]);
  const movingMean = tf.variable(tf.tensor1d(randomValues(channels, 5)));
  const movingVariance = tf.variable(tf.add(tf.tensor1d(randomValues(channels, 6)), 1.5));
  applyBatchNormUpdates([{ movingMean, movingVariance, mean: tf.clone(stats[0]!) as tf.Tensor1D, variance: tf.clone(stats[1]!) as tf.Tensor1D, count: size / channels }]);
  return [value, ...stats, ...grads, movingMean, movingVariance];
}

test('fused training BatchNorm: output, statistics, gradients and moving statistics on webgpu match cpu', async () => {
  const [cpu, webgpu] = await onCpuAndWebgpu(trainingBatchNorm);
  assertClose(webgpu, cpu, 'batchNormTraining');
});

test('the fused BatchNorm kernels on webgpu give what the ops they replace give, bit for bit (SwiftShader)', async () => {
  await selectBackend('webgpu');
  const read = async (tensors: tf.Tensor[]) => {
    const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(tensors);
    return values;
  };
  for (const kernel of [BATCH_NORM_APPLY_KERNEL, BATCH_NORM_INPUT_GRAD_KERNEL, BATCH_NORM_SCALE_GRAD_KERNEL, MOVING_AVERAGE_KERNEL, CHANNEL_SUMS_KERNEL, CONSTANT_OPERAND_KERNEL]) {
    assert.ok(hasFusedKernel(kernel), kernel);
  }
  // 100, 8,192 and 32,768 rows: each of the reduction's workgroup sizes (64, 256, 512 lanes where the device allows).
  for (const shape of [[4, 5, 5, 6], [8, 32, 32, 3], [8, 64, 64, 2]]) {
    const fused = await read(trainingBatchNorm(shape));
    setFusedKernels(false);
    const ops = await read(trainingBatchNorm(shape)).finally(() => setFusedKernels(true));
    fused.forEach((values, i) => assert.deepEqual(values, ops[i], `[${shape}]: output ${i}`));
  }
});

test("ReLU's fused gradient on webgpu gives the ops' values bit for bit, for positive, zero, negative and NaN inputs", async () => {
  await selectBackend('webgpu');
  assert.ok(hasFusedKernel(RELU_GRAD_KERNEL));
  const values = randomValues(300, 7);
  [0, -0, NaN, Infinity, -Infinity, 1e-30].forEach((v, i) => (values[i] = v));
  const gradient = async () => {
    const x = tf.tensor2d(values, [30, 10]);
    const w = tf.tensor2d(randomValues(300, 8), [30, 10]);
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), w)))(x);
    const data = (await g.data()) as Float32Array;
    tf.dispose([x, w, g]);
    return data;
  };
  const fused = await gradient();
  setFusedKernels(false);
  const ops = await gradient().finally(() => setFusedKernels(true));
  assert.deepEqual(fused, ops);
});

test('a Hessian-vector product through conv, BatchNorm and ReLU on webgpu matches cpu (the fused kernels step aside on a gradient tape)', async () => {
  const results: Float32Array[][] = [];
  for (const backend of ['cpu', 'webgpu'] as const) {
    await selectBackend(backend);
    const kernel = tf.variable(tf.tensor4d(randomValues(3 * 3 * 2 * 4, 20), [3, 3, 2, 4]));
    const gamma = tf.variable(tf.add(tf.tensor1d(randomValues(4, 21)), 1));
    const beta = tf.variable(tf.tensor1d(randomValues(4, 22)));
    const x = tf.tensor4d(randomValues(2 * 5 * 5 * 2, 23), [2, 5, 5, 2]);
    const weights = tf.tensor4d(randomValues(2 * 5 * 5 * 4, 24), [2, 5, 5, 4]);
    const term = () => {
      const r = batchNormTraining(tf.conv2d(x, kernel as tf.Tensor4D, 1, 'same'), gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5);
      tf.dispose([r.mean, r.variance]);
      return tf.sum(tf.square(tf.mul(tf.relu(r.y), weights))) as tf.Scalar;
    };
    const params = [kernel, gamma, beta];
    const v = params.map((p, i) => tf.tensor(randomValues(p.size, 30 + i), p.shape));
    const product = await exactHvp({ params, terms: [term] })(v);
    results.push(await Promise.all(product.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose([...params, ...v, ...product, x, weights]);
  }
  assertClose(results[1]!, results[0]!, 'H v');
});

/** `vdm train` of a small conv net: its metrics.csv rows (minus timings) and run.json. */
function trainWith(backend: 'webgpu' | 'cpu'): { losses: number[]; runJson: Record<string, unknown>; stdout: string } {
  const output = tempDir();
  const dir = writeFiles({
    'run.yaml': `name: parity
seed: 5
backend: ${backend}
epochs: 2
output: ${JSON.stringify(output)}
model: { name: lenet5 }
dataset: { name: synthetic, shape: [12, 12, 1], classes: 3, size: 16, test_size: 8, batch_size: 8, augment: standard }
optimizer: { name: sgd, lr: 0.05, momentum: 0.9, weight_decay: 5.0e-4 }
schedule: { name: constant }
vdm: { name: log }
`,
  });
  const result = runCli(['train', '-c', join(dir, 'run.yaml'), '-q']);
  assert.equal(result.code, 0, result.stderr);
  const runDir = join(output, 'parity', 'seed-5');
  const [header, ...rows] = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const losses = rows.flatMap((row) => {
    const cells = row.split(',');
    return ['train_loss', 'test_loss'].map((c) => Number(cells[columns.indexOf(c)]));
  });
  return { losses, runJson: JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')), stdout: result.stdout };
}

test('vdm train on webgpu: every epoch\'s losses match cpu from the same seed; run.json and the backend line name the adapter', () => {
  const cpu = trainWith('cpu');
  const webgpu = trainWith('webgpu');
  assert.equal(cpu.losses.length, 4);
  cpu.losses.forEach((loss, i) => {
    const other = webgpu.losses[i]!;
    assert.ok(Math.abs(loss - other) <= 1e-4 * Math.abs(loss), `loss ${i}: cpu ${loss}, webgpu ${other}`);
  });
  assert.equal(webgpu.runJson.backend, 'webgpu');
  const adapter = webgpu.runJson.backend_adapter as Record<string, unknown>;
  assert.equal(typeof adapter.vendor, 'string');
  assert.equal(typeof adapter.cpu, 'boolean');
  assert.match(webgpu.stdout, /backend: webgpu \(@tensorflow\/tfjs-backend-webgpu@[\d.]+, adapter .+\)/);
});

test('a config with a VDM loads while webgpu is active (its phi checks run on cpu)', async () => {
  await selectBackend('webgpu');
  const dir = writeFiles({
    'run.yaml': `name: check
epochs: 1
model: { name: mlp }
dataset: { name: synthetic, shape: [4, 4, 1], classes: 3, size: 8, test_size: 4, batch_size: 4 }
optimizer: { name: sgd, lr: 0.1 }
vdm: { name: log }
`,
  });
  const config = loadRunConfig(join(dir, 'run.yaml'));
  assert.equal(config.vdm.name, 'log');
  assert.equal(tf.getBackend(), 'webgpu');
});

test('addN over more inputs than a shader can bind (vdm flatness sums one per parameter) matches cpu, leaking nothing', async () => {
  const terms = Array.from({ length: 20 }, (_, i) => randomValues(300, 100 + i));
  const [cpu, webgpu] = await onCpuAndWebgpu(() => {
    const inputs = terms.map((t) => tf.tensor1d(t));
    const sum = tf.addN(inputs);
    tf.dispose(inputs);
    return [sum];
  });
  assertClose(webgpu, cpu, 'addN');
  // The partial sums live only in the backend: count its buffers, not the engine's tensors.
  const before = tf.memory().numDataBuffers;
  tf.tidy(() => {
    tf.addN(terms.map((t) => tf.tensor1d(t)));
  });
  assert.equal(tf.memory().numDataBuffers, before);
});

/** Three steps of `name` from fixed parameters and gradients on the active backend: the final parameters. */
async function optimizerSteps(name: string, params: Record<string, unknown>, weightDecay: number): Promise<Float32Array[]> {
  const shapes = [[3, 3, 2, 4], [7], [5, 3]];
  const entry = optimizers.get(name);
  const optimizer = entry.create(entry.params.parse(params), { lr: 0.1, weight_decay: weightDecay });
  const variables = shapes.map((shape, i) => tf.variable(tf.tensor(randomValues(tf.util.sizeFromShape(shape), 200 + i), shape)));
  for (let step = 0; step < 3; step++) {
    const grads = shapes.map((shape, i) => tf.tensor(randomValues(tf.util.sizeFromShape(shape), 300 + 10 * step + i), shape));
    optimizer.step(variables, grads, 0.1 / (step + 1));
    tf.dispose(grads);
  }
  const values = await Promise.all(variables.map(async (v) => (await v.data()) as Float32Array));
  optimizer.dispose();
  tf.dispose(variables);
  return values;
}

const OPTIMIZER_CASES: Array<[string, Record<string, unknown>, number]> = [
  ['sgd', { momentum: 0.9 }, 5e-4],
  ['sgd', { momentum: 0.9, nesterov: true }, 5e-4],
  ['sgd', { momentum: 0.9 }, 0],
  ['sgd', { momentum: 0 }, 5e-4],
  ['adam', {}, 5e-4],
  ['adam', {}, 0],
  ['adamw', {}, 1e-2],
];

test('fused optimizer updates on webgpu: the same parameters as the ops they replace (and as cpu), in fewer dispatches', async () => {
  for (const [name, params, weightDecay] of OPTIMIZER_CASES) {
    const what = `${name} ${JSON.stringify(params)} wd ${weightDecay}`;
    await selectBackend('cpu');
    const cpu = await optimizerSteps(name, params, weightDecay);
    await selectBackend('webgpu');
    assert.ok(hasFusedKernel(name === 'sgd' ? SGD_STEP_KERNEL : ADAM_STEP_KERNEL), `${what}: no fused kernel on webgpu`);
    const fused = await optimizerSteps(name, params, weightDecay);
    setFusedKernels(false);
    const ops = await optimizerSteps(name, params, weightDecay);
    setFusedKernels(true);
    // SwiftShader evaluates each f32 operation with one rounding, as the separate ops do.
    fused.forEach((values, i) => assert.deepEqual(values, ops[i], `${what}: parameter ${i}, fused against the ops`));
    assertClose(fused, cpu, `${what} against cpu`);
  }
  // Dispatches (runWebGPUProgram calls) of one step over 3 parameters, fused and as ops.
  const dispatches = (name: string, params: Record<string, unknown>, fusedOn: boolean) => {
    setFusedKernels(fusedOn);
    const entry = optimizers.get(name);
    const optimizer = entry.create(entry.params.parse(params), { lr: 0.1, weight_decay: 5e-4 });
    const variables = [0, 1, 2].map((i) => tf.variable(tf.tensor1d(randomValues(10, 400 + i))));
    const grads = variables.map((v) => tf.onesLike(v));
    optimizer.step(variables, grads, 0.1); // the first step sets the slots
    const backend = tf.backend() as unknown as { runWebGPUProgram: (...args: unknown[]) => unknown };
    const run = backend.runWebGPUProgram;
    let count = 0;
    backend.runWebGPUProgram = function (this: unknown, ...args: unknown[]) {
      count++;
      return run.apply(this, args);
    };
    try {
      optimizer.step(variables, grads, 0.1);
    } finally {
      backend.runWebGPUProgram = run;
      setFusedKernels(true);
    }
    optimizer.dispose();
    tf.dispose([...variables, ...grads]);
    return count;
  };
  assert.deepEqual([dispatches('sgd', { momentum: 0.9 }, true), dispatches('sgd', { momentum: 0.9 }, false)], [2 * 3, 6 * 3]);
  assert.deepEqual([dispatches('adam', {}, true), dispatches('adam', {}, false)], [3 * 3, 15 * 3]);
});
