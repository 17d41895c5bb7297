import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { webgpuTestEnv } from '../backend/webgpuEnv.js';

// `vdm doctor` as a user runs it: one line per backend in auto's order with what it needs, and
// the pick. The webgpu line is checked with SwiftShader configured (as the webgpu tests run it).

test('vdm doctor: every backend, whether it loads, what it needs, and what auto picks', () => {
  const prepared = webgpuTestEnv();
  if ('missing' in prepared) assert.fail(prepared.missing);
  Object.assign(process.env, prepared.env, { NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' });
  const result = runCli(['doctor']);
  assert.equal(result.code, 0, result.stderr);
  const names = result.stdout.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(names, ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu', 'auto']);
  assert.match(result.stdout, /^cpu\s+loads\s+@tensorflow\/tfjs-backend-cpu@/m);
  assert.match(result.stdout, /^wasm\s+loads\s+@tensorflow\/tfjs-backend-wasm@\S+, \d+ threads?/m);
  assert.match(result.stdout, /^webgpu\s+loads\s+.*adapter .*\(CPU adapter\); auto skips a CPU adapter/m);
  assert.match(result.stdout, /libvulkan\.so\.1: found/);
  assert.match(result.stdout, /NVIDIA_DRIVER_CAPABILITIES=compute,utility \(lacks graphics/);
  assert.match(result.stdout, /CUDA 11\.2 \+ cuDNN 8\.1/);
  assert.match(result.stdout, /libcudart\.so\.11\.0: (missing|found)/);
  // A CPU adapter is never auto's pick.
  assert.match(result.stdout, /^auto picks: (tfjs-node|wasm) /m);
  assert.doesNotMatch(result.stderr, /Initialization of backend|Couldn't load Vulkan/);
});
