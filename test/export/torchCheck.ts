// Runs test/export/check_torch_export.py (PyTorch, from Debian's python3-torch and
// python3-torchvision) on vdm exports. A missing PyTorch fails the test rather than skipping it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { writeSafetensors } from '../../src/export/safetensors.js';
import { storeName } from '../../src/models/nn.js';
import type { Model } from '../../src/models/types.js';
import { RandomStream } from '../../src/random.js';
import { tempDir } from '../helpers/files.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Debian's interpreter: a pyenv `python3` on PATH usually lacks torch. */
export const PYTHON = process.env.VDM_TORCH_PYTHON ?? '/usr/bin/python3';

export function assertTorchAvailable(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  assert.equal(probe.status, 0, `${PYTHON} cannot import torch and torchvision (apt-get install python3-torch python3-torchvision, or set VDM_TORCH_PYTHON): ${probe.stderr ?? probe.error}`);
}

export interface TorchSpec {
  readonly model: string;
  readonly num_classes: number;
  readonly input_shape: readonly [number, number, number];
  readonly hidden?: readonly number[];
}

export interface TorchCase {
  readonly weights: string;
  readonly spec: TorchSpec;
  /** NHWC input and vdm's eval-mode logits for it. */
  readonly x: tf.Tensor4D;
  readonly logits: tf.Tensor2D;
}

export interface TorchResult {
  model: string;
  max_abs_diff: number;
  max_abs_logit: number;
  tensors: number;
  metadata: Record<string, string>;
}

/** Every BatchNorm gamma/beta/mean/variance and bias away from its initial constant. */
export function randomise(model: Model, seed: number): void {
  const rng = RandomStream.derive(seed, 'export-test');
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  for (const v of [...model.params, ...model.buffers]) {
    const leaf = storeName(v).split('/').pop();
    if (leaf === 'kernel') continue;
    const [lo, hi] = leaf === 'gamma' || leaf === 'moving_variance' ? [0.5, 1.5] : [-0.2, 0.2];
    v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => uniform(lo, hi)), v.shape));
  }
}

/** vdm's eval-mode logits, as the exported network should give them. */
export function evalLogits(model: Model, x: tf.Tensor4D): tf.Tensor2D {
  return model.forward(x, { training: false, batchNormUpdates: [] });
}

/** One python process for all cases (importing torch takes seconds). */
export function checkInTorch(cases: readonly TorchCase[]): TorchResult[] {
  const dir = tempDir('vdm-torch-');
  const list = cases.map((c, i) => {
    const inputs = join(dir, `inputs-${i}.safetensors`);
    writeSafetensors(inputs, [
      { name: 'x', shape: c.x.shape, data: c.x.dataSync() as Float32Array },
      { name: 'logits', shape: c.logits.shape, data: c.logits.dataSync() as Float32Array },
    ]);
    return { weights: c.weights, inputs, spec: c.spec };
  });
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(list));
  const run = spawnSync(PYTHON, [join(here, 'check_torch_export.py'), join(dir, 'cases.json')], { encoding: 'utf8', cwd: here });
  assert.equal(run.status, 0, `PyTorch check failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line) as TorchResult);
}
