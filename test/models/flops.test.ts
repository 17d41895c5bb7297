// FLOP counts on the shape-only backend: exact for single kernels and a whole MLP (the identity
// that must hold), near the published multiply-add figures for full-size networks, and free:
// nothing allocated, the active backend and its tensors as they were.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { onShapeBackend } from '../../src/backend/shapeBackend.js';
import { forwardFlops } from '../../src/models/flops.js';
import { models } from '../../src/models/index.js';
import { CIFAR10_SIZE } from '../../src/models/types.js';

before(async () => {
  await selectBackend('cpu');
});

const flopsOf = (entry: string, params: Record<string, unknown>, size = CIFAR10_SIZE) => forwardFlops(models.get(entry), models.get(entry).params.parse(params), size);

test('single kernels: 2 FLOPs per multiply-add of conv, depthwise conv and matmul, 1 per element of the rest; shapes as tfjs computes them', async () => {
  const counted = await onShapeBackend((backend) => {
    const count = (f: () => tf.Tensor): [number, number[]] => {
      backend.flops = 0;
      const out = tf.tidy(f);
      const result: [number, number[]] = [backend.flops, out.shape];
      out.dispose();
      return result;
    };
    return [
      count(() => tf.conv2d(tf.fill([2, 8, 8, 3], 0) as tf.Tensor4D, tf.fill([3, 3, 3, 4], 0) as tf.Tensor4D, 1, 'same')),
      count(() => tf.depthwiseConv2d(tf.fill([1, 9, 9, 6], 0) as tf.Tensor4D, tf.fill([5, 5, 6, 1], 0) as tf.Tensor4D, 2, [[0, 0], [2, 2], [2, 2], [0, 0]])),
      count(() => tf.matMul(tf.fill([3, 7], 0) as tf.Tensor2D, tf.fill([7, 5], 0) as tf.Tensor2D)),
      count(() => tf.relu(tf.add(tf.fill([2, 4, 4, 3], 0), tf.fill([3], 0)))),
      count(() => tf.mean(tf.fill([2, 4, 4, 3], 0), [1, 2], true)),
    ];
  });
  assert.deepEqual(counted, [
    [2 * (2 * 8 * 8 * 4) * (3 * 3 * 3), [2, 8, 8, 4]],
    [2 * (1 * 5 * 5 * 6) * (5 * 5), [1, 5, 5, 6]],
    [2 * 3 * 5 * 7, [3, 5]],
    [2 * (2 * 4 * 4 * 3), [2, 4, 4, 3]],
    [2 * 4 * 4 * 3, [2, 1, 1, 3]],
  ]);
});

test('an MLP counts exactly: matmuls, bias adds and ReLUs (the flatten is free)', async () => {
  const size = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10 };
  const [h1, h2, k] = [64, 32, 10];
  const expected = 2 * 784 * h1 + h1 + h1 + (2 * h1 * h2 + h2 + h2) + (2 * h2 * k + k);
  assert.equal(await flopsOf('mlp', { hidden: [h1, h2] }, size), expected);
});

test('full-size networks: near the published multiply-adds (2 FLOPs each), counted in seconds with nothing allocated', async () => {
  const tensors = tf.memory().numTensors;
  const started = performance.now();
  // torchvision's ResNet-18: 1.81 GMACs at 224x224; the CIFAR ResNet-20: 41 MMACs (He et al. 2016);
  // WRN-28-10: 5.25 GMACs (Zagoruyko & Komodakis 2016's code base); ResNeXt-29 16x64d: 10.7 GMACs.
  const cases: [string, Record<string, unknown>, number, typeof CIFAR10_SIZE][] = [
    ['resnet18', {}, 1.81e9, { inputShape: [224, 224, 3], numClasses: 1000 }],
    ['resnet20', {}, 41e6, CIFAR10_SIZE],
    ['wrn', { depth: 28, widen: 10 }, 5.25e9, CIFAR10_SIZE],
    ['resnext29', { cardinality: 16, base_width: 64 }, 10.7e9, CIFAR10_SIZE],
  ];
  for (const [name, params, macs, size] of cases) {
    const flops = await flopsOf(name, params, size);
    assert.ok(Math.abs(flops / 2 - macs) / macs < 0.03, `${name}: ${flops / 2} multiply-adds counted, ${macs} published`);
  }
  assert.ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
  assert.equal(tf.getBackend(), 'cpu', 'the active backend is restored');
  assert.equal(tf.memory().numTensors, tensors, 'no tensor outlives the count');
});

test('efficientnet_b0 (stride-1 stem at 32x32) is a cheap network: about 30M multiply-adds an image', async () => {
  const flops = await flopsOf('efficientnet_b0', {});
  assert.ok(flops > 2 * 25e6 && flops < 2 * 40e6, `${flops} FLOPs`);
});
