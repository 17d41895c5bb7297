// Building blocks that tfjs lacks: grouped convolution (as split + concat) must equal a dense
// convolution with a block-diagonal kernel, forward and in both gradients; dropout follows the
// step's random stream and is off wherever no stream is given.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { ParamStore, ParameterCounter, conv2d, dropout, type ForwardContext } from '../../src/models/nn.js';
import { RandomStream } from '../../src/random.js';

before(async () => {
  await selectBackend('cpu');
});

const inference: ForwardContext = { training: false, batchNormUpdates: [] };

/** The [k, k, in, out] dense kernel that applies a [k, k, in/groups, out] grouped one. */
function blockDiagonal(grouped: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [k, , perGroupIn, out] = grouped.shape;
  const perGroupOut = out / groups;
  const blocks = tf.split(grouped, groups, 3).map((block, g) =>
    tf.pad(block, [[0, 0], [0, 0], [g * perGroupIn, (groups - 1 - g) * perGroupIn], [0, 0]]),
  );
  const dense = tf.concat(blocks, 3);
  assert.deepEqual(dense.shape, [k, k, perGroupIn * groups, perGroupOut * groups]);
  return dense as tf.Tensor4D;
}

for (const [groups, stride] of [[2, 1], [4, 2], [3, 1]] as const) {
  test(`grouped conv (${groups} groups, stride ${stride}) equals a block-diagonal dense conv, with equal gradients`, () => {
    const inChannels = 2 * groups;
    const outChannels = 3 * groups;
    const store = new ParamStore(RandomStream.derive(7, 'init'));
    const layer = conv2d(store, 'g', { inChannels, outChannels, kernel: 3, stride, groups });
    const kernel = store.params[0]!;
    assert.deepEqual(kernel.shape, [3, 3, 2, outChannels], 'PyTorch weight [out, in/groups, k, k] in HWIO order');
    const x = tf.randomNormal([2, 7, 6, inChannels], 0, 1, 'float32', 5) as tf.Tensor4D;
    const upstream = tf.randomNormal([2, stride === 1 ? 7 : 4, stride === 1 ? 6 : 3, outChannels], 0, 1, 'float32', 6);
    const padding: [[0, 0], [1, 1], [1, 1], [0, 0]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
    // The layer convolves with its own variable; the reference with any kernel it is given.
    const grouped = (xi: tf.Tensor) => tf.sum(tf.mul(layer(xi, inference), upstream)) as tf.Scalar;
    const reference = (xi: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, blockDiagonal(w as tf.Tensor4D, groups), stride, padding), upstream)) as tf.Scalar;
    const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      assert.ok(diff < 1e-4, `${what} differs by ${diff}`);
    };
    close(grouped(x), reference(x, kernel), 'output');
    // Gradients: with respect to the input through tf.grad, to the kernel through the variable.
    close(tf.grad((xi) => grouped(xi))(x), tf.grad((xi) => reference(xi, kernel))(x), 'input gradient');
    const viaLayer = tf.variableGrads(() => grouped(x), [kernel]).grads[kernel.name]!;
    const viaDense = tf.grad((w) => reference(x, w))(kernel);
    close(viaLayer, viaDense, 'kernel gradient');
    // Every kernel value is used: a gradient that is zero somewhere means a group was dropped.
    assert.ok(viaLayer.abs().min().dataSync()[0]! > 0, 'every grouped weight gets a gradient');
    store.params.forEach((p) => p.dispose());
  });
}

test('grouped conv: He init over one group\'s fan-in, as PyTorch counts it', () => {
  const store = new ParamStore(RandomStream.derive(3, 'init'));
  conv2d(store, 'g', { inChannels: 64, outChannels: 64, kernel: 3, groups: 16 });
  const std = tf.moments(store.params[0]!).variance.sqrt().dataSync()[0]!;
  const expected = Math.sqrt(2 / (3 * 3 * 4));
  assert.ok(Math.abs(std / expected - 1) < 0.05, `std ${std}, expected ${expected}`);
  store.params.forEach((p) => p.dispose());
});

test('grouped conv: channels that do not split are an error', () => {
  const store = new ParamStore(RandomStream.derive(3, 'init'));
  assert.throws(() => conv2d(store, 'g', { inChannels: 6, outChannels: 8, kernel: 3, groups: 4 }), /do not split into 4 groups/);
});

test('dropout: same stream, same mask; inverted scaling; identity without a stream, in eval mode or at rate 0', () => {
  const x = tf.ones([4, 8, 8, 16]);
  const training = (seed: number): ForwardContext => ({ training: true, batchNormUpdates: [], random: RandomStream.derive(seed, 'dropout', 0) });
  const layer = dropout(0.25);
  const a = layer(x, training(1)).dataSync();
  const b = layer(x, training(1)).dataSync();
  const c = layer(x, training(2)).dataSync();
  assert.deepEqual(a, b, 'the same stream drops the same units');
  assert.notDeepEqual(a, c, 'another stream drops others');
  const dropped = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(dropped - 0.25) < 0.03, `dropped ${dropped}`);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6), 'kept units scaled by 1 / (1 - rate)');
  assert.deepEqual(layer(x, { training: true, batchNormUpdates: [] }).dataSync(), x.dataSync(), 'no stream: off');
  assert.deepEqual(layer(x, { ...training(1), training: false }).dataSync(), x.dataSync(), 'eval: off');
  assert.deepEqual(dropout(0)(x, training(1)).dataSync(), x.dataSync(), 'rate 0: off');
});

test('ParameterCounter counts trainable values and allocates no tensors', () => {
  const before = tf.memory().numTensors;
  const counter = new ParameterCounter();
  conv2d(counter, 'c', { inChannels: 512, outChannels: 1024, kernel: 3, groups: 8, bias: true });
  counter.constant('bn/moving_mean', [1024], 0, false);
  assert.equal(counter.trainable, 3 * 3 * 64 * 1024 + 1024);
  assert.equal(tf.memory().numTensors, before);
});
