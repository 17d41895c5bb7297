// `npm run bench -- gpu`: ResNet-20 training on webgpu at CIFAR-100 shape (batch 128) through the
// trainer's own step: images/s, the `log` VDM's time over `none`, host reads per step, WebGPU
// calls per step (dispatches, passes, submits, uniform uploads, host reads: gpu/gpuCalls.ts), and a
// tf.profile kernel table of one step. `--torch` runs bench/torch/resnet20.py on CUDA (fp32,
// eager) in the same invocation and prints the ratio. A CPU adapter (SwiftShader) is refused
// unless `--allow-cpu-adapter`; `--calls-only` prints the WebGPU call counts alone (the quick figure on SwiftShader), `--submit-batch N` sets tfjs's WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE (dispatches per submit, default 15); `--batch=N --side=N --windows=N --steps=N --warmup=N` shrink it
// for such adapters, `--torch-device=cpu` runs the reference on the CPU. Results: $OUT/gpu-bench.json
// when OUT is set (the device machine), else bench/results/gpu-<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countFlag, flag } from './args.js';
import { selectBackend } from '../src/backend/resolve.js';
import { describeAdapter } from '../src/backend/webgpu.js';
import { setFusedKernels } from '../src/backend/webgpuElementwise.js';
import { formatKernelTable, profileStep } from './gpu/profile.js';
import { formatGpuCalls, gpuCallsPerStep } from './gpu/stepCalls.js';
import { measureTraining } from './training/measure.js';
import { findTorchPython, runTorchReference, type TorchResult } from './training/torchReference.js';


/** The reference script: beside this file's folder in the repo (bench/torch/), or beside the bundle on the device. */
const TORCH_SCRIPT = fileURLToPath(new URL('./torch/resnet20.py', import.meta.url));

function resultsFile(): string {
  const dir = process.env.OUT || fileURLToPath(new URL('./results/', import.meta.url));
  if (process.env.OUT) {
    mkdirSync(dir, { recursive: true });
    return join(dir, 'gpu-bench.json');
  }
  mkdirSync(dir, { recursive: true });
  return join(dir, `gpu-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}

function torchReference(settings: { batch: number; side: number; windows: number; steps: number }): TorchResult | { unavailable: string } {
  const found = findTorchPython();
  if ('unavailable' in found) return found;
  const device = flag('torch-device') ?? 'cuda';
  try {
    return runTorchReference(found.python, 'resnet20', availableParallelism(), settings.windows, settings.steps, {
      device, script: TORCH_SCRIPT, batchSize: settings.batch, imageSide: settings.side,
    });
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
}

export async function bench(): Promise<void> {
  const settings = {
    batch: countFlag('batch', 128),
    side: countFlag('side', 32),
    windows: countFlag('windows', 5),
    steps: countFlag('steps', 10),
    warmup: countFlag('warmup', 3),
  };
  const report = await selectBackend('webgpu');
  const adapter = report.adapter!;
  console.log(`webgpu: ${report.package}@${report.version}, adapter ${describeAdapter(adapter)}`);
  if (adapter.cpu && flag('allow-cpu-adapter') === undefined) {
    console.error('bench gpu: only a CPU adapter here; pass --allow-cpu-adapter (with e.g. --batch=4 --side=8 --windows=1 --steps=1) to run on it anyway');
    process.exitCode = 2;
    return;
  }
  if (flag('submit-batch') !== undefined) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', countFlag('submit-batch', 15));
  const gpuCalls = await gpuCallsPerStep(settings.batch, settings.side, settings.steps);
  console.log(`WebGPU calls ${formatGpuCalls(gpuCalls)} (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE ${tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')})`);
  // The same step with vdm's fused kernels off (the tfjs ops they replace): what the fusion saves.
  setFusedKernels(false);
  const gpuCallsUnfused = await gpuCallsPerStep(settings.batch, settings.side, settings.steps).finally(() => setFusedKernels(true));
  console.log(`  without vdm's fused kernels: ${formatGpuCalls(gpuCallsUnfused)}`);
  if (flag('calls-only') !== undefined) {
    writeFileSync(resultsFile(), `${JSON.stringify({ command: process.argv.slice(1).join(' '), settings, gpuCalls, gpuCallsUnfused }, null, 2)}\n`);
    return;
  }
  const result = await measureTraining({
    model: 'resnet20', backend: 'webgpu', warmupSteps: settings.warmup, windows: settings.windows,
    stepsPerWindow: settings.steps, vdms: ['log'], batchSize: settings.batch, imageSide: settings.side,
  });
  console.log(
    `resnet20 webgpu batch ${settings.batch} ${settings.side}x${settings.side}x3: ${result.imagesPerSecond.toFixed(1)} img/s ` +
      `(windows ${result.windowImagesPerSecond.map((v) => v.toFixed(0)).join(' ')}) | log/none ${result.vdmOverhead.log?.toFixed(3)} | ` +
      `host reads/step ${result.hostReadsPerStep} | numTensors ${result.numTensors.join(' ')} | peak RSS ${result.peakRssMB.toFixed(0)} MB`,
  );
  const profile = await profileStep(settings.batch, settings.side);
  console.log(`one profiled step: ${profile.wallMs.toFixed(1)} ms wall`);
  formatKernelTable(profile.rows).forEach((line) => console.log(`  ${line}`));
  let torch: TorchResult | { unavailable: string } | undefined;
  if (flag('torch') !== undefined) {
    torch = torchReference(settings);
    if ('unavailable' in torch) console.log(`torch: ${torch.unavailable}`);
    else {
      console.log(
        `resnet20 ${torch.framework} on ${torch.device}: ${torch.imagesPerSecond.toFixed(1)} img/s | ` +
          `ratio webgpu/torch ${(result.imagesPerSecond / torch.imagesPerSecond).toFixed(3)}x`,
      );
    }
  }
  const file = resultsFile();
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(file, `${JSON.stringify({ machine, command: process.argv.slice(1).join(' '), settings, webgpu: result, gpuCalls, gpuCallsUnfused, profile, torch }, null, 2)}\n`);
  console.log(`results: ${file}`);
}
