import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/resolve.js';
import { loadRunConfig } from '../../src/config/index.js';
import { disposeModel } from '../../src/models/types.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { train } from '../../src/train/trainer.js';
import { tempDir, writeFiles } from '../helpers/files.js';

// The same seeded run on wasm (threaded, fused BatchNorm, the wasm conv gradient kernels) and on
// cpu must give the same first-epoch losses: a tiny ResNet-20 (BatchNorm, strided convs, option-A
// shortcuts) and LeNet-5 (max pooling, biases), two epochs of a few batches each; and small
// variants of the paper's CIFAR families: DenseNet-BC (concatenation, average-pool transitions),
// SE-ResNeXt (grouped convs, SE gates), WRN with dropout (its masks follow the seed on any backend)
// and EfficientNet (depthwise convs, swish, drop-connect).

/** `model` is the config's model block, as YAML. */
function configFor(model: string, shape: string, backend: 'wasm' | 'cpu'): ReturnType<typeof loadRunConfig> {
  const dir = writeFiles({
    'run.yaml': `name: parity
seed: 3
backend: ${backend}
epochs: 2
output: ${JSON.stringify(tempDir())}
model: ${model}
dataset: { name: synthetic, shape: ${shape}, classes: 5, size: 24, test_size: 8, batch_size: 8, augment: standard }
optimizer: { name: sgd, lr: 0.05, momentum: 0.9, weight_decay: 5.0e-4 }
schedule: { name: constant }
vdm: { name: log }
`,
  });
  return loadRunConfig(join(dir, 'run.yaml'));
}

async function epochLosses(model: string, shape: string, backend: 'wasm' | 'cpu'): Promise<number[]> {
  await selectBackend(backend, undefined, { wasmThreads: 2 });
  const config = configFor(model, shape, backend);
  const parts = buildTrainingParts(config, await buildDataset(config));
  try {
    const history = await train(parts);
    return history.flatMap((m) => [m.train_loss, m.test_loss]);
  } finally {
    disposeModel(parts.model);
    parts.optimizer.dispose();
  }
}

const CASES: readonly (readonly [string, string])[] = [
  ['{ name: resnet20 }', '[8, 8, 3]'],
  ['{ name: lenet5 }', '[12, 12, 1]'],
  ['{ name: densenet_bc, depth: 10, growth: 4 }', '[8, 8, 3]'],
  ['{ name: se_resnext29, depth: 11, cardinality: 2, base_width: 2, stem_width: 8, se_reduction: 4 }', '[8, 8, 3]'],
  ['{ name: wrn, depth: 10, widen: 1, dropout: 0.3 }', '[8, 8, 3]'],
  // Depthwise convs (wasm's gradient kernels in wasmDepthwiseGradients.ts), SE, drop-connect and dropout.
  ['{ name: efficientnet_b0, width: 0.25, depth: 0.5 }', '[20, 20, 3]'],
];

for (const [model, shape] of CASES) {
  test(`${model}: wasm and cpu agree on the losses of the first epochs from the same seed`, async () => {
    const cpu = await epochLosses(model, shape, 'cpu');
    const wasm = await epochLosses(model, shape, 'wasm');
    cpu.forEach((loss, i) => {
      assert.ok(Number.isFinite(loss));
      assert.ok(Math.abs(loss - wasm[i]!) <= 1e-3 * Math.max(1, Math.abs(loss)), `loss ${i}: cpu ${loss}, wasm ${wasm[i]}`);
    });
  });
}
