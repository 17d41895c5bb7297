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

function measureOnce(model: string, threads: number, python: string | undefined): ThroughputRow {
  const r = request(model, threads);
  const vdm = inChild(r);
  const torch = python === undefined ? undefined : torchFor(python, r);
  const torchCpu = torch?.cpuSecondsPerImage === undefined ? '' : `, CPU ${(1000 * torch.cpuSecondsPerImage).toFixed(2)} ms/image`;
  const cpuRatio = torch?.cpuSecondsPerImage === undefined ? '' : `, CPU-time ratio ${(torch.cpuSecondsPerImage / vdm.cpuSecondsPerImage).toFixed(3)}x`;
  const ratio = torch
    ? ` | ${torch.framework} x${torch.threads}: ${torch.imagesPerSecond.toFixed(1)} img/s${torchCpu} | ratio ${(vdm.imagesPerSecond / torch.imagesPerSecond).toFixed(3)}x${cpuRatio}`
    : '';
  console.log(
    `${model} wasm x${vdm.threads} batch ${vdm.batchSize}: ${vdm.imagesPerSecond.toFixed(1)} img/s ` +
      `(windows ${vdm.windowImagesPerSecond.map((v) => v.toFixed(1)).join(' ')}), CPU ${(1000 * vdm.cpuSecondsPerImage).toFixed(2)} ms/image | ` +
      `peak RSS ${vdm.peakRssMB.toFixed(0)} MB${ratio}`,
  );
  return { vdm, torch };
}

/** `--rounds=N` alternates the thread counts N times, so load that comes and goes hits each alike. */
function throughput(model: string, counts: number[], python: string | undefined): ThroughputRow[][] {
  const rounds: ThroughputRow[][] = [];
  const total = countFlag('rounds', 1);
  for (let r = 0; r < total; r++) {
    if (total > 1) console.log(`-- round ${r + 1}/${total}`);
    rounds.push(counts.map((threads) => measureOnce(model, threads, python)));
  }
  if (counts.length > 1) console.log(scaling(rounds));
  return rounds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * From the first thread count to each other, medians over rounds: the wall-time speed-up, and
 * the CPU time per image ratio (1.00: the extra threads do no extra work; above: they spin or
 * wait, which the users' many cores would multiply). On a shared machine the wall figure
 * depends on load; the CPU figure much less.
 */
function scaling(rounds: readonly ThroughputRow[][]): string {
  const counts = rounds[0]!.map((row) => row.vdm.threads ?? 1);
  const parts = counts.slice(1).map((threads, i) => {
    const speedup = median(rounds.map((row) => row[i + 1]!.vdm.imagesPerSecond / row[0]!.vdm.imagesPerSecond));
    const cpu = median(rounds.map((row) => row[i + 1]!.vdm.cpuSecondsPerImage / row[0]!.vdm.cpuSecondsPerImage));
    const torch = rounds.every((row) => row[0]!.torch && row[i + 1]!.torch)
      ? `; torch ${median(rounds.map((row) => row[i + 1]!.torch!.imagesPerSecond / row[0]!.torch!.imagesPerSecond)).toFixed(2)}x`
      : '';
    return `x${counts[0]} -> x${threads}: vdm ${speedup.toFixed(2)}x wall (efficiency ${(speedup / (threads / counts[0]!)).toFixed(2)}), CPU/image ${cpu.toFixed(2)}x${torch}`;
  });
  return `thread scaling (median of ${rounds.length} round(s)): ${parts.join(', ')}`;
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
