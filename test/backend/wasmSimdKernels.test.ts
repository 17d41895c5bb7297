import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { runFusedKernel } from '../../src/backend/webgpuElementwise.js';
import { CHANNEL_SUMS_KERNEL, type ChannelSumTerm } from '../../src/backend/channelSumsKernel.js';
import { setKernelWorkers, wasmSimd } from '../../src/backend/wasmSimd/kernels.js';
import { KERNEL_SOURCES_SHA256 } from '../../src/backend/wasmSimd/kernels.generated.js';
import { RandomStream } from '../../src/random.js';

// vdm's own wasm SIMD kernels (src/backend/wasmSimd): Conv2DBackpropFilter and the per-channel
// sums, against the cpu backend and float64 references, through every block path of the C code;
// split across worker threads (this process runs the threaded build) and on one thread they must
// be the same bits, and the 1-thread build (a child process) must give those bits too.

const SOURCES = 'src/backend/wasmSimd';

function values(size: number, seed: number): Float32Array {
  const stream = RandomStream.derive(seed, 'wasm-simd-kernels-test');
  return Float32Array.from({ length: size }, () => stream.uniform() * 2 - 1);
}

async function wasmWithWorkers(): Promise<void> {
  await selectBackend('wasm', undefined, { wasmThreads: 2 });
  await wasmSimd(tf.backend()).pool?.whenReady();
}

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface FilterCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
}

/** The kernel itself (tfjs exports no conv2dBackpropFilter op). */
function backpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], stride: number, pad: Pad): tf.Tensor4D {
  const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape };
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

function filterGradient(c: FilterCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(tf.util.sizeFromShape(c.x), seed), c.x);
    const outShape = tf.conv2d(x, tf.zeros(c.filter) as tf.Tensor4D, c.stride, c.pad).shape;
    const dy = tf.tensor4d(values(tf.util.sizeFromShape(outShape), seed + 1), outShape);
    return backpropFilter(x, dy, c.filter, c.stride, c.pad).dataSync() as Float32Array;
  });
}

// Input channels 1-9 cover the 4-row blocks and the 1-row tail; output channels 4-24 the 8- and
// 4-column blocks and splits of 1-3 blocks across threads.
const FILTER_CASES: FilterCase[] = [];
for (const inC of [1, 3, 4, 5, 9]) {
  for (const outC of [4, 8, 12, 16, 24]) {
    FILTER_CASES.push({ x: [3, 7, 6, inC], filter: [3, 3, inC, outC], stride: 1, pad: 'same' });
  }
}
FILTER_CASES.push(
  { x: [2, 8, 8, 16], filter: [3, 3, 16, 32], stride: 2, pad: 'same' },
  { x: [2, 9, 7, 4], filter: [1, 1, 4, 8], stride: 2, pad: 'valid' },
  { x: [2, 10, 11, 5], filter: [3, 3, 5, 12], stride: 3, pad: 'valid' },
  { x: [2, 6, 7, 4], filter: [3, 3, 4, 8], stride: 2, pad: [[0, 0], [2, 0], [3, 1], [0, 0]] },
  { x: [1, 3, 3, 4], filter: [5, 5, 4, 8], stride: 1, pad: [[0, 0], [4, 4], [4, 4], [0, 0]] }, // padding wider than the map
  { x: [2, 16, 16, 3], filter: [7, 7, 3, 16], stride: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  // Above the 2^25 multiply-adds from which a call is split across threads: 4 and 3 blocks of 8
  // output channels, and 2 with a 4-channel tail.
  { x: [8, 32, 32, 16], filter: [3, 3, 16, 32], stride: 1, pad: 'same' },
  { x: [10, 32, 32, 16], filter: [3, 3, 16, 24], stride: 1, pad: 'same' },
  { x: [12, 32, 32, 16], filter: [3, 3, 16, 20], stride: 1, pad: 'same' },
);

function maxRelativeError(expected: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  expected.forEach((e, i) => {
    diff = Math.max(diff, Math.abs(e - actual[i]!));
    scale = Math.max(scale, Math.abs(e));
  });
  return diff / scale;
}

test('the SIMD Conv2DBackpropFilter matches cpu to 1e-5 over every block path, stride and padding', async () => {
  await selectBackend('cpu');
  const expected = FILTER_CASES.map((c, i) => filterGradient(c, 10 * i));
  await wasmWithWorkers();
  FILTER_CASES.forEach((c, i) => {
    const error = maxRelativeError(expected[i]!, filterGradient(c, 10 * i));
    assert.ok(error < 1e-5, `${JSON.stringify(c)}: relative error ${error}`);
  });
});

test('split across worker threads, the SIMD Conv2DBackpropFilter gives the same bits as on one thread', async () => {
  await wasmWithWorkers();
  assert.ok(wasmSimd(tf.backend()).pool !== undefined, 'the threaded build should come with a worker');
  const split = FILTER_CASES.map((c, i) => filterGradient(c, 10 * i));
  setKernelWorkers(false);
  try {
    FILTER_CASES.forEach((c, i) => assert.deepEqual(filterGradient(c, 10 * i), split[i], JSON.stringify(c)));
  } finally {
    setKernelWorkers(true);
  }
});

/** Per-channel sums in float64 from the tensors' values, rounded once (what the kernel promises). */
function float64Sums(term: ChannelSumTerm, a: Float32Array, b: Float32Array, rows: number, channels: number): Float32Array {
  const sums = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const v = a[r * channels + c]!;
      sums[c] += term === 'value' ? v : term === 'square' ? v * v : v * b[r * channels + c]!;
    }
  }
  return Float32Array.from(sums);
}

test('the SIMD channel sums are float64 sums rounded once, for every term and channel tail (1-37 channels)', async () => {
  await wasmWithWorkers();
  for (const [rows, channels] of [[1, 1], [5, 3], [300, 4], [257, 16], [100, 21], [64, 37], [2048, 64]] as const) {
    const aValues = values(rows * channels, rows + channels);
    const bValues = values(rows * channels, rows + channels + 1);
    const a = tf.tensor2d(aValues, [rows, channels]);
    const b = tf.tensor2d(bValues, [rows, channels]);
    for (const term of ['value', 'square', 'product'] as const) {
      const [sums] = runFusedKernel(CHANNEL_SUMS_KERNEL, term === 'product' ? { a, b } : { a }, { term });
      assert.deepEqual(sums!.shape, [1, channels]);
      const expected = float64Sums(term, aValues, bValues, rows, channels);
      // float64 in another order: the same float32 but for a last-bit tie now and then.
      const actual = sums!.dataSync() as Float32Array;
      expected.forEach((e, c) => assert.ok(Math.abs(e - actual[c]!) <= 2 ** -22 * Math.max(Math.abs(e), 1e-30), `${term} [${rows}, ${channels}] channel ${c}: ${actual[c]} vs ${e}`));
      sums!.dispose();
    }
    tf.dispose([a, b]);
  }
});

test('channel sums of no rows are zeros, and a product without its second tensor is refused', async () => {
  await wasmWithWorkers();
  const empty = runFusedKernel(CHANNEL_SUMS_KERNEL, { a: tf.zeros([0, 6]) }, { term: 'square' })[0]!;
  assert.deepEqual(Array.from(empty.dataSync()), [0, 0, 0, 0, 0, 0]);
  assert.throws(() => runFusedKernel(CHANNEL_SUMS_KERNEL, { a: tf.zeros([4, 6]) }, { term: 'product' }), /needs float32 \[rows, channels\] twice/);
});

const childScript = `
  import * as tf from '@tensorflow/tfjs';
  import { selectBackend } from './src/backend/resolve.ts';
  import { runFusedKernel } from './src/backend/webgpuElementwise.ts';
  import { wasmSimd } from './src/backend/wasmSimd/kernels.ts';
  const report = await selectBackend('wasm', undefined, { wasmThreads: Number(process.env.THREADS) });
  await wasmSimd(tf.backend()).pool?.whenReady();
  // 37 M multiply-adds: split across the threaded build's worker.
  const x = tf.randomNormal([12, 32, 32, 12], 0, 1, 'float32', 1);
  const dy = tf.randomNormal([12, 32, 32, 28], 0, 1, 'float32', 2);
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 12, 28] };
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs).dataSync();
  const sums = runFusedKernel('VdmChannelSums', { a: tf.reshape(dy, [-1, 28]), b: tf.reshape(dy, [-1, 28]) }, { term: 'product' })[0].dataSync();
  console.log(JSON.stringify({ threads: report.threads, dw: Array.from(dw), sums: Array.from(sums) }));
`;

test('the 1-thread build (plain memory) and the threaded build (shared memory, split) give the same bits', () => {
  const run = (threads: number) => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript], {
      env: { ...process.env, THREADS: String(threads) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { threads: number; dw: number[]; sums: number[] };
  };
  const one = run(1);
  const two = run(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.deepEqual(two.dw, one.dw);
  assert.deepEqual(two.sums, one.sums);
});

test('kernels.generated.ts was built from the C sources as they stand (run `npm run build:wasm` after editing them)', () => {
  const sources = readdirSync(SOURCES).filter((name) => name.endsWith('.c')).sort();
  const hash = createHash('sha256');
  for (const name of sources) hash.update(readFileSync(join(SOURCES, name)));
  assert.equal(hash.digest('hex'), KERNEL_SOURCES_SHA256);
});
