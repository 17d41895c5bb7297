// The focused modes of `npm run bench -- training`, each one measurement per process on wasm:
//   --profile            kernel table and forward/backward shares of the step (per --threads count)
//   --threads 1,2        images/s at each wasm thread count, and the scaling between them
//   --model M            any registered model (default parameters) instead of ResNet-20
//   --torch              PyTorch's images/s beside each, same model, shape and thread count, and the ratio
// --batch, --side, --steps (per window), --windows and --warmup shrink a big model's measurement.
import { availableParallelism } from 'node:os';
import { BenchFlagError, countFlag, countListFlag, flag } from '../args.js';
import { MAX_WASM_THREADS } from '../../src/backend/wasmThreads.js';
import { models } from '../../src/models/index.js';
import { UnknownNameError } from '../../src/errors.js';
import { formatProfile } from './kernelTable.js';
import { caseFor, type MeasureRequest, type MeasureResult } from './measure.js';
import type { ProfileResult } from './profile.js';
import { inChild } from './runChild.js';
import { findTorchPython, runTorchReference, type TorchResult } from './torchReference.js';

/** Whether the command line asks for one of these modes rather than the standing benchmark. */
export function wantsMode(): boolean {
  return ['profile', 'threads', 'model'].some((name) => flag(name) !== undefined);
}

function modelFlag(): string {
  const name = flag('model') ?? 'resnet20';
  try {
    models.get(name);
  } catch (error) {
    if (error instanceof UnknownNameError) throw new BenchFlagError(`bench: --model: ${error.message}`);
    throw error;
  }
  return name;
}

function threadCounts(): number[] {
  const counts = countListFlag('threads') ?? [countFlag('wasm-threads', availableParallelism())];
  const tooMany = counts.find((n) => n > MAX_WASM_THREADS);
  if (tooMany !== undefined) throw new BenchFlagError(`bench: --threads ${tooMany}: the wasm build starts at most ${MAX_WASM_THREADS} threads`);
  return counts;
}

function request(model: string, threads: number): MeasureRequest {
  const side = flag('side') === undefined ? undefined : countFlag('side', 1);
  const batchSize = flag('batch') === undefined ? undefined : countFlag('batch', 1);
  return {
    model, backend: 'wasm', threads, vdms: [], batchSize, imageSide: side,
    warmupSteps: countFlag('warmup', 2), windows: countFlag('windows', 3), stepsPerWindow: countFlag('steps', 3),
  };
}

function torchFor(python: string, r: MeasureRequest): TorchResult {
  const c = caseFor(r);
  const builtIn = r.model === 'resnet20' || r.model === 'lenet5';
  return runTorchReference(python, r.model, r.threads!, r.windows, r.stepsPerWindow, {
    batchSize: c.batchSize, imageSide: c.shape[0],
    ...(builtIn ? {} : { classes: c.classes, channels: c.shape[2], params: models.get(r.model).params.parse({}) as Record<string, unknown> }),
  });
}

function torchPython(): string | undefined {
  if (flag('torch') === undefined) return undefined;
  const found = findTorchPython();
  if ('unavailable' in found) {
    console.log(`torch: ${found.unavailable}`);
    return undefined;
  }
  return found.python;
}

interface ThroughputRow {
  readonly vdm: MeasureResult;
  readonly torch?: TorchResult;
}

function throughput(model: string, counts: number[], python: string | undefined): ThroughputRow[] {
  const rows: ThroughputRow[] = [];
  for (const threads of counts) {
    const r = request(model, threads);
    const vdm = inChild(r);
    const torch = python === undefined ? undefined : torchFor(python, r);
    rows.push({ vdm, torch });
    const ratio = torch ? ` | ${torch.framework} x${torch.threads}: ${torch.imagesPerSecond.toFixed(1)} img/s | ratio ${(vdm.imagesPerSecond / torch.imagesPerSecond).toFixed(3)}x` : '';
    console.log(
      `${model} wasm x${vdm.threads} batch ${vdm.batchSize}: ${vdm.imagesPerSecond.toFixed(1)} img/s ` +
        `(windows ${vdm.windowImagesPerSecond.map((v) => v.toFixed(1)).join(' ')}) | peak RSS ${vdm.peakRssMB.toFixed(0)} MB${ratio}`,
    );
  }
  if (rows.length > 1) console.log(scaling(rows));
  return rows;
}

/** Speed-up from the first thread count to each other, and its efficiency (speed-up / thread ratio). */
function scaling(rows: readonly ThroughputRow[]): string {
  const base = rows[0]!;
  const parts = rows.slice(1).map(({ vdm, torch }) => {
    const speedup = vdm.imagesPerSecond / base.vdm.imagesPerSecond;
    const threadRatio = (vdm.threads ?? 1) / (base.vdm.threads ?? 1);
    const torchPart = torch && base.torch ? `; torch ${(torch.imagesPerSecond / base.torch.imagesPerSecond).toFixed(2)}x` : '';
    return `x${base.vdm.threads} -> x${vdm.threads}: vdm ${speedup.toFixed(2)}x (efficiency ${(speedup / threadRatio).toFixed(2)})${torchPart}`;
  });
  return `thread scaling: ${parts.join(', ')}`;
}

function profiles(model: string, counts: number[]): ProfileResult[] {
  return counts.map((threads) => {
    const result = inChild({ ...request(model, threads), profile: true });
    formatProfile(result).forEach((line) => console.log(line));
    return result;
  });
}

/** Runs the modes the flags ask for; returns the figures for the results file. */
export async function runModes(): Promise<object> {
  const model = modelFlag();
  const counts = threadCounts();
  if (flag('profile') !== undefined) return { profiles: profiles(model, counts) };
  return { throughput: throughput(model, counts, torchPython()) };
}
