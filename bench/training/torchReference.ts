// Runs the PyTorch reference script (bench/torch/resnet20.py; other models from test/export/torch_models.py) when a python3 with torch exists,
// else says why not. Debian's python3-torch installs into /usr/bin/python3, which a pyenv shim may hide.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchModel } from './setup.js';

const SCRIPT = fileURLToPath(new URL('../torch/resnet20.py', import.meta.url));
const PYTHONS = ['python3', '/usr/bin/python3'];

export interface TorchResult {
  readonly model: BenchModel;
  readonly framework: string;
  readonly threads: number;
  readonly imagesPerSecond: number;
  readonly windowImagesPerSecond: number[];
  /** CPU seconds (all threads) per image over the timed windows. */
  readonly cpuSecondsPerImage?: number;
  /** The device it ran on (torch.cuda.get_device_name() on the GPU). */
  readonly device?: string;
}

/** The first python3 that imports torch, or why none does. */
export function findTorchPython(): { python: string } | { unavailable: string } {
  const tried: string[] = [];
  for (const python of PYTHONS) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return { python };
    tried.push(`${python}: ${probe.error?.message ?? (probe.stderr.trim().split('\n').at(-1) || `exit ${probe.status}`)}`);
  }
  return { unavailable: `no python3 with torch (${tried.join('; ')}); install Debian's python3-torch` };
}

export interface TorchOptions {
  /** 'cuda' for the GPU reference (default cpu). */
  readonly device?: string;
  /** The reference script when it does not sit at bench/torch/ (the device bundle carries its own copy). */
  readonly script?: string;
  readonly batchSize?: number;
  readonly imageSide?: number;
  /** For models other than resnet20 and lenet5: the data shape and the vdm model's parameters. */
  readonly classes?: number;
  readonly channels?: number;
  readonly params?: Record<string, unknown>;
}

export function runTorchReference(python: string, model: BenchModel, threads: number, windows: number, steps: number, options: TorchOptions = {}): TorchResult {
  const args = [options.script ?? SCRIPT, '--model', model, '--threads', String(threads), '--windows', String(windows), '--steps', String(steps)];
  if (options.device !== undefined) args.push('--device', options.device);
  if (options.batchSize !== undefined) args.push('--batch', String(options.batchSize));
  if (options.imageSide !== undefined) args.push('--side', String(options.imageSide));
  if (options.classes !== undefined) args.push('--classes', String(options.classes));
  if (options.channels !== undefined) args.push('--channels', String(options.channels));
  if (options.params !== undefined) args.push('--params', JSON.stringify(options.params));
  const run = spawnSync(python, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${python} ${args.join(' ')} failed: ${run.stderr.trim().split('\n').at(-1)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}
