import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';

// One script per child process: the wasm build and its thread count are fixed once per process.
function runChild(script: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const convScript = (threads: string) => `
  import * as tf from '@tensorflow/tfjs';
  import { selectBackend } from './src/backend/resolve.ts';
  const report = await selectBackend('wasm', undefined, ${threads});
  const x = tf.randomNormal([4, 9, 9, 5], 0, 1, 'float32', 1);
  const w = tf.randomNormal([3, 3, 5, 7], 0, 1, 'float32', 2);
  const y = tf.conv2d(x, w, 1, 'same').dataSync();
  console.log(JSON.stringify({ threads: report.threads, skipped: report.skipped, y: Array.from(y.slice(0, 5)) }));
`;

test('wasm starts with two threads in Node, and the process still exits on its own', () => {
  const child = runChild(convScript('{ wasmThreads: 2 }'));
  assert.equal(child.status, 0, child.stderr);
  const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { threads: number; skipped: unknown[] };
  assert.equal(out.threads, 2);
  assert.deepEqual(out.skipped, []);
});

test('VDM_WASM_THREADS=1 keeps the single-threaded build, with the same results', () => {
  const one = runChild(convScript('{}'), { VDM_WASM_THREADS: '1' });
  const two = runChild(convScript('{ wasmThreads: 2 }'));
  assert.equal(one.status, 0, one.stderr);
  const parse = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!) as { threads: number; y: number[] };
  assert.equal(parse(one.stdout).threads, 1);
  const [a, b] = [parse(one.stdout).y, parse(two.stdout).y];
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-4, `element ${i}: ${v} vs ${b[i]}`));
});

test('threaded wasm convolution gradients agree with cpu', async () => {
  const x = tf.randomNormal([8, 12, 12, 6], 0, 1, 'float32', 3) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 6, 10], 0, 1, 'float32', 4) as tf.Tensor4D;
  const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
  const gradsOn = async (backend: 'cpu' | 'wasm') => {
    await selectBackend(backend, undefined, { wasmThreads: 2 });
    const [dx, dw] = tf.grads(loss)([tf.clone(x), tf.clone(w)]);
    return [await dx!.data(), await dw!.data()];
  };
  const onCpu = await gradsOn('cpu');
  const onWasm = await gradsOn('wasm');
  assert.equal(tf.engine().backendName, 'wasm');
  onCpu.forEach((expected, k) => {
    const scale = Math.max(...Array.from(expected, Math.abs));
    expected.forEach((v, i) => assert.ok(Math.abs(v - onWasm[k]![i]!) <= 1e-4 * scale, `grad ${k}[${i}]: ${v} vs ${onWasm[k]![i]}`));
  });
});

test("an uncaught error after wasm started is Node's own report (exit 1), not the glue's rethrow (exit 7, its minified source)", () => {
  const child = runChild(`
    import { selectBackend } from './src/backend/resolve.ts';
    await selectBackend('wasm', undefined, { wasmThreads: 2 });
    setTimeout(() => { throw new Error('boom from the test'); }, 1);
  `);
  assert.equal(child.status, 1);
  assert.match(child.stderr, /boom from the test/);
  assert.ok(child.stderr.length < 5000, `stderr is ${child.stderr.length} characters`);
});
