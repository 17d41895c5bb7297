// `npm run bench -- training --profile`: where a training step's wall time goes, by kernel and by
// phase (forward, backward, other), timed through the trainer's own step after warm-up.
import * as tf from '@tensorflow/tfjs';
import { KernelTimer, PHASES, type Phase } from './kernelTimer.js';
import { prepareTraining, runWindow, type MeasureRequest } from './measure.js';

export interface ProfileRequest extends MeasureRequest {
  readonly profile: true;
}

export interface KernelRow {
  readonly kernel: string;
  /** Per step. */
  readonly calls: number;
  readonly ms: number;
}

export interface ProfileResult {
  readonly model: string;
  readonly backend: string;
  readonly threads?: number;
  readonly batchSize: number;
  readonly steps: number;
  /** Wall ms of one step (mean over the profiled steps). */
  readonly stepMs: number;
  /** Kernels by summed time, largest first; per step. */
  readonly kernels: KernelRow[];
  /** Per step: the phase's wall ms and the part of it inside kernels. */
  readonly phases: Record<Phase, { ms: number; kernelMs: number }>;
  readonly peakRssMB: number;
}

export async function profileTraining(request: ProfileRequest): Promise<ProfileResult> {
  const prepared = await prepareTraining(request);
  const steps = request.windows * request.stepsPerWindow;
  const timer = new KernelTimer();
  timer.install();
  let seconds: number;
  try {
    timer.start();
    seconds = (await runWindow(prepared.input, prepared.batches, steps)).seconds;
    timer.stop();
  } finally {
    timer.uninstall();
  }
  await prepared.close();
  const kernels = [...timer.kernels]
    .map(([kernel, r]) => ({ kernel, calls: r.calls / steps, ms: r.ms / steps }))
    .sort((a, b) => b.ms - a.ms);
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, { ms: timer.phaseMs.get(p)! / steps, kernelMs: timer.kernelMsByPhase.get(p)! / steps }]),
  ) as ProfileResult['phases'];
  return {
    model: request.model,
    backend: tf.getBackend(),
    threads: prepared.report.threads,
    batchSize: prepared.modelCase.batchSize,
    steps,
    stepMs: (1000 * seconds) / steps,
    kernels,
    phases,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}
