// WebGPU calls per training step: ResNet-20 through the trainer's own step on webgpu, warmed up
// (shaders compiled, buffer pools filled), then counted over a few plain steps. Not under
// tf.profile, which ends a compute pass after every dispatch to time it.
import { GpuCallCounter, zeroCounts, type GpuCallCounts } from './gpuCalls.js';
import { prepareTraining, runWindow } from '../training/measure.js';

export async function gpuCallsPerStep(batchSize: number, side: number, steps: number): Promise<GpuCallCounts> {
  const prepared = await prepareTraining({
    model: 'resnet20', backend: 'webgpu', warmupSteps: 2, windows: 1, stepsPerWindow: steps, vdms: [], batchSize, imageSide: side,
  });
  const counter = new GpuCallCounter();
  counter.install();
  let counts: GpuCallCounts;
  try {
    await runWindow(prepared.input, prepared.batches, steps);
    counts = counter.reset();
  } finally {
    counter.uninstall();
    await prepared.close();
  }
  const perStep = zeroCounts();
  for (const key of Object.keys(perStep) as (keyof GpuCallCounts)[]) perStep[key] = counts[key] / steps;
  return perStep;
}

export function formatGpuCalls(c: GpuCallCounts): string {
  const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  return (
    `per step: ${f(c.dispatches)} dispatches in ${f(c.computePasses)} compute passes, ${f(c.bufferCopies)} buffer copies, ${f(c.submits)} submits, ` +
    `${f(c.uniformUploads)} uniform uploads, ${f(c.dataUploads)} data uploads, ${f(c.hostReads)} host reads, ` +
    `${f(c.pipelinesCompiled)} shader compiles, ${f(c.createBindGroups)} bind groups, ${f(c.createBuffers)} new buffers`
  );
}
