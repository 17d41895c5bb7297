// A run on wasm is sized before it starts: the estimate from the layer shapes holds a real step's
// heap, a step clearly past the 4 GiB heap is refused at dataset.batch_size naming the batch that
// fits, one close to it is warned about, and an ordinary one passes in silence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { wasmHeap } from '../../src/backend/wasmMemory.js';
import { loadRunConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { buildDataset, buildTrainingParts, disposeTrainingParts } from '../../src/train/build.js';
import { trainStep } from '../../src/train/step.js';
import { checkWasmHeap, estimateWasmStep } from '../../src/train/wasmHeapCheck.js';
import { RandomStream } from '../../src/random.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

function config(...overrides: string[]) {
  const dir = tempDir('vdm-wasm-heap-');
  writeFileSync(join(dir, 'c.yaml'), tinyConfigYaml(join(dir, 'results')));
  return loadRunConfig(join(dir, 'c.yaml'), ['backend=wasm', ...overrides]);
}
const cifar = (batch: number) => `dataset={name: synthetic, shape: [32, 32, 3], classes: 10, size: ${batch}, test_size: 8, batch_size: ${batch}}`;
const CIFAR_SIZE = { inputShape: [32, 32, 3] as const, numClasses: 10 };

// First in this file (its own process): the heap then holds this step and little else.
test('the estimate holds a real wasm step of ResNet-20 at batch 64 (measured heap <= estimate <= 1.5x it)', async (t) => {
  await selectBackend('wasm');
  const c = config('model={name: resnet20}', cifar(64));
  const dataset = await buildDataset(c);
  const parts = buildTrainingParts(c, dataset);
  const rng = RandomStream.derive(3, 'batch');
  const batch = { x: Float32Array.from({ length: 64 * 32 * 32 * 3 }, () => rng.normal()), y: Int32Array.from({ length: 64 }, (_, i) => i % 10), size: 64 };
  for (let step = 0; step < 2; step++) await trainStep({ ...parts, inputShape: [32, 32, 3], numClasses: 10 }, batch, 0.1, 1, step);
  const measured = wasmHeap()!.bytes;
  disposeTrainingParts(parts);
  const estimate = (await estimateWasmStep(c, CIFAR_SIZE))!.stepBytes;
  t.diagnostic(`heap after two steps ${(measured / 2 ** 20).toFixed(0)} MiB, estimate ${(estimate / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(measured <= estimate && estimate <= 1.5 * measured, `heap ${(measured / 2 ** 20).toFixed(0)} MiB, estimate ${(estimate / 2 ** 20).toFixed(0)} MiB`);
});

test('resnext29 16x64d at batch 8 (measured: 3.99 of 4.00 GiB after two steps) is refused at dataset.batch_size, naming the estimate and the batch that fits', async () => {
  const c = config('model={name: resnext29}', cifar(8));
  await assert.rejects(checkWasmHeap(c, CIFAR_SIZE), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.location?.path, 'dataset.batch_size');
    assert.match(error.problem, /^resnext29 at batch 8 needs about 5\.77 GiB on the wasm backend, more than the 4\.00 GiB a 32-bit WebAssembly memory can address \(estimated from its layer shapes: 6 x 0\.25 GiB of weights, .*\); a batch of at most 4 fits, or use backend cpu or webgpu$/);
    return true;
  });
});

test('resnext29 at batch 4 (measured: fits, 2.77 GiB) gets a warning; ResNet-20 at batch 128 nothing', async () => {
  assert.match((await checkWasmHeap(config('model={name: resnext29}', cifar(4)), CIFAR_SIZE)) ?? '', /^warning: resnext29 at batch 4 needs about 3\.80 GiB on the wasm backend, close to the 4\.00 GiB wasm heap/);
  assert.equal(await checkWasmHeap(config('model={name: resnet20}', cifar(128)), CIFAR_SIZE), undefined);
});
