// Measures training throughput of one model on one backend through the trainer's own step
// (src/train/step.ts trainStep on batches from the data set), in the current process.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend/resolve.js';
import { buildDataset, buildTrainingParts } from '../../src/train/build.js';
import { trainStep, type StepInput } from '../../src/train/step.js';
import type { Batch, Dataset } from '../../src/datasets/types.js';
import { RandomStream } from '../../src/random.js';
import { LossDeformation } from '../../src/vdms/deformation.js';
import { vdms } from '../../src/vdms/index.js';
import { disposeModel } from '../../src/models/types.js';
import { HostReadCounter } from './hostReads.js';
import { benchConfig, modelCase, type BenchModel, type ModelCase } from './setup.js';
import type { AdapterReport } from '../../src/backend/webgpu.js';
import type { BackendReport } from '../../src/backend/resolve.js';

export interface MeasureRequest {
  readonly model: BenchModel;
  readonly backend: 'wasm' | 'cpu' | 'webgpu';
  /** wasm only. */
  readonly threads?: number;
  readonly warmupSteps: number;
  readonly windows: number;
  readonly stepsPerWindow: number;
  /** VDMs whose epoch-time ratio to `none` is measured (interleaved windows); empty: skip. */
  readonly vdms: readonly string[];
  /** Smaller than the model's real case (batch size, image side), for slow backends such as webgpu on SwiftShader. */
  readonly batchSize?: number;
  readonly imageSide?: number;
}

export interface MeasureResult {
  readonly model: BenchModel;
  readonly backend: string;
  readonly threads?: number;
  readonly batchSize: number;
  /** Median over windows of images / window seconds (vdm none). */
  readonly imagesPerSecond: number;
  readonly windowImagesPerSecond: number[];
  /** Median share of a window spent waiting for the next batch (input pipeline). */
  readonly inputWaitShare: number;
  readonly hostReadsPerStep: number;
  /** tf.memory().numTensors after each window. */
  readonly numTensors: number[];
  /** Median window time with each VDM over that with none. */
  readonly vdmOverhead: Record<string, number>;
  readonly peakRssMB: number;
  /** CPU seconds (user + system, every thread) per image over the timed windows: load on a shared machine stretches wall time, not this. */
  readonly cpuSecondsPerImage: number;
  readonly firstLosses: number[];
  readonly adapter?: AdapterReport;
}

export function caseFor(request: MeasureRequest): ModelCase {
  const base = modelCase(request.model);
  const side = request.imageSide ?? base.shape[0];
  return { ...base, batchSize: request.batchSize ?? base.batchSize, shape: [side, side, base.shape[2]] };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Endless training batches: epoch after epoch of the data set's own (augmenting) iterator. */
async function* endlessBatches(dataset: Dataset, batchSize: number): AsyncGenerator<Batch> {
  for (let epoch = 1; ; epoch++) {
    yield* dataset.batches('train', { batchSize, rng: RandomStream.derive(1, 'data', epoch) });
  }
}

export interface Window {
  seconds: number;
  waitSeconds: number;
  images: number;
  losses: number[];
}

export async function runWindow(input: StepInput, batches: AsyncGenerator<Batch>, steps: number): Promise<Window> {
  const window: Window = { seconds: 0, waitSeconds: 0, images: 0, losses: [] };
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const waitStart = performance.now();
    const batch = (await batches.next()).value as Batch;
    window.waitSeconds += (performance.now() - waitStart) / 1000;
    const result = await trainStep(input, batch, 0.05, 1);
    window.images += batch.size;
    window.losses.push(result.loss);
  }
  window.seconds = (performance.now() - start) / 1000;
  return window;
}

export interface PreparedTraining {
  readonly modelCase: ModelCase;
  readonly report: BackendReport;
  readonly input: StepInput;
  readonly batches: AsyncGenerator<Batch>;
  /** The warm-up steps' losses. */
  readonly firstLosses: number[];
  close(): Promise<void>;
}

/** The backend started, the model, optimizer and data built from a bench config, and the warm-up steps run. */
export async function prepareTraining(request: MeasureRequest): Promise<PreparedTraining> {
  const modelCase = caseFor(request);
  const report = await selectBackend(request.backend, undefined, { wasmThreads: request.threads });
  const config = benchConfig(modelCase, request.backend, 'none');
  const dataset = await buildDataset(config);
  const parts = buildTrainingParts(config, dataset);
  const input: StepInput = { ...parts, inputShape: dataset.inputShape, numClasses: dataset.numClasses };
  const batches = endlessBatches(dataset, modelCase.batchSize);
  const firstLosses = (await runWindow(input, batches, request.warmupSteps)).losses;
  const close = async () => {
    parts.optimizer.dispose();
    disposeModel(parts.model); // else each measurement leaves its weights behind (97 tensors for ResNet-20)
    await dataset.close?.();
  };
  return { modelCase, report, input, batches, firstLosses, close };
}

export async function measureTraining(request: MeasureRequest): Promise<MeasureResult> {
  const { modelCase, report, input, batches, firstLosses, close } = await prepareTraining(request);

  const counter = new HostReadCounter();
  const windows: Window[] = [];
  const numTensors: number[] = [];
  counter.install();
  const cpuBefore = process.cpuUsage();
  try {
    for (let w = 0; w < request.windows; w++) {
      windows.push(await runWindow(input, batches, request.stepsPerWindow));
      numTensors.push(tf.memory().numTensors);
    }
  } finally {
    counter.uninstall();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const images = windows.reduce((t, w) => t + w.images, 0);
  const vdmOverhead = await measureVdmOverhead(input, batches, request);
  await close();
  return {
    model: request.model,
    backend: request.backend,
    adapter: report.adapter,
    threads: report.threads,
    batchSize: modelCase.batchSize,
    imagesPerSecond: median(windows.map((w) => w.images / w.seconds)),
    windowImagesPerSecond: windows.map((w) => w.images / w.seconds),
    inputWaitShare: median(windows.map((w) => w.waitSeconds / w.seconds)),
    hostReadsPerStep: counter.count / (request.windows * request.stepsPerWindow),
    numTensors,
    vdmOverhead,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    cpuSecondsPerImage: (cpu.user + cpu.system) / 1e6 / images,
    firstLosses,
  };
}

/** A VDM with its config defaults, built as build.ts builds it. */
function deformationFor(request: MeasureRequest, vdm: string): LossDeformation {
  const { vdm: block } = benchConfig(caseFor(request), request.backend, vdm);
  return new LossDeformation({ entry: vdms.get(block.name), params: block.params, options: block.options });
}

/** Window time with each VDM over that with none, interleaved so machine noise hits both alike. */
async function measureVdmOverhead(input: StepInput, batches: AsyncGenerator<Batch>, request: MeasureRequest): Promise<Record<string, number>> {
  const overhead: Record<string, number> = {};
  const rounds = Math.max(3, request.windows);
  for (const name of request.vdms) {
    const deformed: StepInput = { ...input, deformation: deformationFor(request, name) };
    const plain: StepInput = { ...input, deformation: deformationFor(request, 'none') };
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const none = await runWindow(plain, batches, request.stepsPerWindow);
      const withVdm = await runWindow(deformed, batches, request.stepsPerWindow);
      ratios.push(withVdm.seconds / none.seconds);
    }
    overhead[name] = median(ratios);
  }
  return overhead;
}
