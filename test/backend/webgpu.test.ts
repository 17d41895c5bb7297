import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { webgpuTestEnv } from './webgpuEnv.js';

// Runs the webgpu cases (webgpuCases.ts) in a child process whose environment points Dawn at a
// Vulkan driver (SwiftShader here and in CI). No adapter is a failure, never a skip.

const CASES = fileURLToPath(new URL('./webgpuCases.ts', import.meta.url));

test('webgpu (Dawn) matches the cpu backend: models, gradients, fused BatchNorm, fused optimizer updates, training', async () => {
  const prepared = webgpuTestEnv();
  if ('missing' in prepared) assert.fail(prepared.missing);
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'tap', CASES], { env: prepared.env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `the webgpu cases failed:\n${output}`);
  assert.match(output, /# fail 0/);
});
