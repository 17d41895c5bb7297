// The benchmark's run: a ResNet-20 or LeNet-5 config on synthetic data of the real shape, built
// through the same config boundary and registries as `vdm train`.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadRunConfig, type RunConfig } from '../../src/config/index.js';

export type BenchModel = 'resnet20' | 'lenet5';

export interface ModelCase {
  readonly model: BenchModel;
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  readonly batchSize: number;
}

/** ResNet-20 on CIFAR-100 and LeNet-5 on MNIST, at the batch sizes their recipes use. */
export const MODEL_CASES: Record<BenchModel, ModelCase> = {
  resnet20: { model: 'resnet20', shape: [32, 32, 3], classes: 100, batchSize: 128 },
  lenet5: { model: 'lenet5', shape: [28, 28, 1], classes: 10, batchSize: 64 },
};

/** A VDM as the project documents it: its block in configs/resnet20-c100-<name>.yaml, else defaults. */
function documentedVdmBlock(name: string): Record<string, unknown> {
  const file = join('configs', `resnet20-c100-${name}.yaml`);
  if (name === 'none' || !existsSync(file)) return { name };
  return (parse(readFileSync(file, 'utf8')) as { vdm: Record<string, unknown> }).vdm;
}

/** A validated run config (written to a temporary YAML file, so it passes the real config boundary). */
export function benchConfig(c: ModelCase, backend: 'wasm' | 'cpu' | 'webgpu', vdm: string, batchesPerEpoch = 4): RunConfig {
  const plain = {
    name: `bench-${c.model}-${backend}`,
    seed: 1,
    backend,
    epochs: 1,
    output: tmpdir(),
    model: { name: c.model },
    dataset: {
      name: 'synthetic',
      shape: [...c.shape],
      classes: c.classes,
      size: c.batchSize * batchesPerEpoch,
      test_size: c.batchSize,
      batch_size: c.batchSize,
      augment: c.model === 'resnet20' ? 'standard' : 'none',
    },
    optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 5e-4 },
    schedule: { name: 'constant' },
    vdm: documentedVdmBlock(vdm),
  };
  const dir = mkdtempSync(join(tmpdir(), 'vdm-bench-'));
  try {
    const file = join(dir, 'bench.yaml');
    writeFileSync(file, stringify(plain));
    return loadRunConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
