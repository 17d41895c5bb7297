// The benchmark's run: a config of any registered model (default parameters) on synthetic data of
// its data set's shape, built through the same config boundary and registries as `vdm train`.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadRunConfig, type RunConfig } from '../../src/config/index.js';

/** A model registry name (resnet20 and lenet5 are the bench's standing pair). */
export type BenchModel = string;

export interface ModelCase {
  readonly model: BenchModel;
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  readonly batchSize: number;
}

/** ResNet-20 on CIFAR-100 and LeNet-5 on MNIST, at the batch sizes their recipes use. */
export const MODEL_CASES = {
  resnet20: { model: 'resnet20', shape: [32, 32, 3], classes: 100, batchSize: 128 },
  lenet5: { model: 'lenet5', shape: [28, 28, 1], classes: 10, batchSize: 64 },
} as const satisfies Record<string, ModelCase>;

/** torchvision's ImageNet models, trained at 224x224 on 1,000 classes. */
const IMAGENET_MODELS = new Set(['resnet18', 'resnet34', 'resnet50']);

/**
 * The data shape a registered model is trained on: MNIST for the small ones, ImageNet for
 * torchvision's, CIFAR-100 (batch 128, CIFAR-ZOO's) for every CIFAR network.
 */
export function modelCase(model: string): ModelCase {
  if (model === 'lenet5' || model === 'mlp') return { ...MODEL_CASES.lenet5, model };
  if (IMAGENET_MODELS.has(model)) return { model, shape: [224, 224, 3], classes: 1000, batchSize: 32 };
  return { ...MODEL_CASES.resnet20, model };
}

/** CIFAR-shaped inputs get the CIFAR recipe's crop-and-flip (it pads by 4 pixels), as the standing ResNet-20 case has. */
function augmentFor(c: ModelCase): 'standard' | 'none' {
  return c.shape[2] === 3 && c.shape[0] <= 64 ? 'standard' : 'none';
}

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
      augment: augmentFor(c),
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

/**
 * Why a VDM cannot train on its own as the bench runs it (its documented config does not load),
 * or null: recorded_scale, the step-size control, needs another run's steps.csv.
 */
export function notStandalone(vdm: string): string | null {
  try {
    benchConfig(MODEL_CASES.lenet5, 'cpu', vdm);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
