// Wasm backend figures: per-kernel times of the ResNet-20 convolutions at batch 128, then a
// kernel-by-kernel profile of one training step of a ResNet-20-like stack (conv + BatchNorm + relu).
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend/resolve.js';
import { RandomStream } from '../src/random.js';

const batchSize = 128;

interface ConvShape {
  label: string;
  inSize: number; // square input side
  inChannels: number;
  outChannels: number;
  stride: number;
}

/** ResNet-20 on 32x32 inputs: the stem, the three stages and the two stride-2 transitions. */
const resnet20Convs: ConvShape[] = [
  { label: 'stem 32x32x3->16', inSize: 32, inChannels: 3, outChannels: 16, stride: 1 },
  { label: 'stage1 32x32x16', inSize: 32, inChannels: 16, outChannels: 16, stride: 1 },
  { label: 'down 32x32x16->16x16x32', inSize: 32, inChannels: 16, outChannels: 32, stride: 2 },
  { label: 'stage2 16x16x32', inSize: 16, inChannels: 32, outChannels: 32, stride: 1 },
  { label: 'down 16x16x32->8x8x64', inSize: 16, inChannels: 32, outChannels: 64, stride: 2 },
  { label: 'stage3 8x8x64', inSize: 8, inChannels: 64, outChannels: 64, stride: 1 },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall time of `run` in ms; wasm kernels are synchronous, so no data read is needed. */
function timeMs(run: () => tf.Tensor, warmups = 2, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < warmups + runs; i++) {
    const start = performance.now();
    const out = run();
    const elapsed = performance.now() - start;
    out.dispose();
    if (i >= warmups) times.push(elapsed);
  }
  return median(times);
}

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const stream = RandomStream.derive(seed, 'bench-backend');
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => stream.normal()), shape);
}

function benchConvKernels(): void {
  for (const shape of resnet20Convs) {
    const outSize = Math.ceil(shape.inSize / shape.stride);
    const x = randomTensor([batchSize, shape.inSize, shape.inSize, shape.inChannels], 1) as tf.Tensor4D;
    const filter = randomTensor([3, 3, shape.inChannels, shape.outChannels], 2) as tf.Tensor4D;
    const dy = randomTensor([batchSize, outSize, outSize, shape.outChannels], 3) as tf.Tensor4D;
    const conv = { strides: shape.stride, pad: 'same', dataFormat: 'NHWC' };
    const gflop = (2 * batchSize * outSize * outSize * 9 * shape.inChannels * shape.outChannels) / 1e9;
    const kernels: [string, () => tf.Tensor][] = [
      ['Conv2D', () => tf.conv2d(x, filter, shape.stride, 'same')],
      ['Conv2DBackpropInput', () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor],
      ['Conv2DBackpropFilter', () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor],
    ];
    for (const [kernelName, run] of kernels) {
      const ms = timeMs(run);
      console.log(`wasm ${kernelName.padEnd(20)} ${shape.label.padEnd(24)} s${shape.stride} batch ${batchSize}: ${ms.toFixed(1).padStart(7)} ms  ${(gflop / (ms / 1e3)).toFixed(1).padStart(5)} GFLOP/s`);
    }
    tf.dispose([x, filter, dy]);
  }
}

/** Batch statistics BatchNorm followed by relu, as tf.layers computes it in training. */
function batchNormRelu(x: tf.Tensor4D, gamma: tf.Variable, beta: tf.Variable): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.relu(tf.batchNorm(x, mean, variance, beta, gamma, 1e-3)) as tf.Tensor4D;
}

/** Weights of a ResNet-20-like network: stem, 3 stages of 3 basic blocks, a 100-way classifier. */
function resnet20Weights(): Map<string, tf.Variable> {
  const weights = new Map<string, tf.Variable>();
  let seed = 10;
  const add = (name: string, shape: number[], init: 'random' | 'ones' | 'zeros') => {
    const value = init === 'random' ? tf.mul(randomTensor(shape, seed++), Math.sqrt(2 / shape.slice(0, -1).reduce((a, b) => a * b, 1))) : tf[init](shape);
    weights.set(name, tf.variable(value, true, name));
  };
  const convBn = (name: string, inC: number, outC: number) => {
    add(`${name}/w`, [3, 3, inC, outC], 'random');
    add(`${name}/gamma`, [outC], 'ones');
    add(`${name}/beta`, [outC], 'zeros');
  };
  convBn('stem', 3, 16);
  let channels = 16;
  for (const [stage, width] of [16, 32, 64].entries()) {
    for (let block = 0; block < 3; block++) {
      convBn(`s${stage}b${block}c0`, channels, width);
      convBn(`s${stage}b${block}c1`, width, width);
      channels = width;
    }
  }
  add('fc/w', [64, 100], 'random');
  add('fc/b', [100], 'zeros');
  return weights;
}

/** Option-A shortcut: subsample by 2 and zero-pad the new channels (no weights). */
function downsampleShortcut(x: tf.Tensor4D, outChannels: number): tf.Tensor4D {
  // A 1x1 stride-2 pool subsamples; tfjs has no gradient for StridedSlice.
  const sub = tf.avgPool(x, 1, 2, 'valid');
  const extra = outChannels - x.shape[3];
  return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [Math.floor(extra / 2), Math.ceil(extra / 2)]]);
}

function resnet20Loss(w: Map<string, tf.Variable>, images: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar {
  const get = (name: string) => w.get(name)!;
  const convBn = (x: tf.Tensor4D, name: string, stride: number) =>
    batchNormRelu(tf.conv2d(x, get(`${name}/w`) as tf.Tensor4D, stride, 'same'), get(`${name}/gamma`), get(`${name}/beta`));
  let x: tf.Tensor4D = convBn(images, 'stem', 1);
  for (const [stage, width] of [16, 32, 64].entries()) {
    for (let block = 0; block < 3; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const shortcut = stride === 2 ? downsampleShortcut(x, width) : x;
      const y = convBn(convBn(x, `s${stage}b${block}c0`, stride), `s${stage}b${block}c1`, 1);
      x = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    }
  }
  const logits = tf.add(tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, get('fc/w') as tf.Tensor2D), get('fc/b'));
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

async function profileTrainingStep(): Promise<void> {
  const weights = resnet20Weights();
  const images = randomTensor([batchSize, 32, 32, 3], 4) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batchSize }, (_, i) => i % 100), 'int32'), 100) as tf.Tensor2D;
  const step = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => resnet20Loss(weights, images, labels));
    for (const [name, grad] of Object.entries(grads)) weights.get(name)!.assign(tf.sub(weights.get(name)!, tf.mul(grad, 0.01)));
    value.dataSync();
  });
  step(); // warm-up: XNNPACK operator creation and wasm memory growth
  const start = performance.now();
  const profile = await tf.profile(step);
  const stepMs = performance.now() - start;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const kernel of profile.kernels) {
    const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
    entry.ms += kernel.kernelTimeMs as number;
    entry.calls += 1;
    byKernel.set(kernel.name, entry);
  }
  const kernelTotal = [...byKernel.values()].reduce((sum, e) => sum + e.ms, 0);
  console.log(`wasm ResNet-20-like training step, batch ${batchSize}: ${stepMs.toFixed(0)} ms wall (profiled), ${kernelTotal.toFixed(0)} ms in kernels, ${profile.kernels.length} kernel calls`);
  for (const [name, { ms, calls }] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    if (ms / kernelTotal < 0.005) continue;
    console.log(`  ${name.padEnd(22)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / kernelTotal).toFixed(1).padStart(5)}%  ${String(calls).padStart(4)} calls`);
  }
  tf.dispose([images, labels, ...weights.values()]);
}

export async function bench(): Promise<void> {
  await selectBackend('wasm');
  benchConvKernels();
  await profileTrainingStep();
}
