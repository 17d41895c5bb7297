// The WebGPU call counter of `npm run bench -- gpu`, on SwiftShader in a child process (Dawn reads
// the Vulkan environment only at start-up). No adapter is a failure, never a skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { webgpuTestEnv } from '../backend/webgpuEnv.js';

const CASES = fileURLToPath(new URL('./gpuCallsCases.ts', import.meta.url));

test('gpu call counter counts dispatches, passes, submits, uniform uploads and host reads exactly', () => {
  const prepared = webgpuTestEnv();
  if ('missing' in prepared) assert.fail(prepared.missing);
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'tap', CASES], { env: prepared.env, encoding: 'utf8' });
  assert.equal(run.status, 0, `the gpu counter cases failed:\n${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /# fail 0/);
});
