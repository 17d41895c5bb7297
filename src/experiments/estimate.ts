// `vdm run --dry-run`'s cost estimate: time a few real training steps and one evaluation batch
// of each distinct model/data/batch combination on the selected backend, then scale by the
// steps of each run. A network too big to time in seconds (flopScaling.ts) is stood in for by a
// smaller member of its family, its times scaled by the ratio of their FLOPs. Missing data of a known shape (CIFAR before `vdm data fetch`) is stood in
// for by synthetic images of that shape, since a step's cost depends on shapes, not pixels.
import { availableParallelism, loadavg } from 'node:os';
import { selectBackend } from '../backend/resolve.js';
import type { RunConfig } from '../config/types.js';
import { datasets } from '../datasets/index.js';
import { optimizers } from '../optimizers/index.js';
import { syntheticDataset } from '../datasets/synthetic.js';
import type { Batch, Dataset } from '../datasets/types.js';
import { ConfigError, DataError, InterruptedError, VdmError } from '../errors.js';
import { RandomStream } from '../random.js';
import { buildDataset, buildTrainingParts, disposeTrainingParts } from '../train/build.js';
import { evaluate, trainStep, type StepInput } from '../train/step.js';
import { checkWasmHeap, estimateWasmStep } from '../train/wasmHeapCheck.js';
import { planProbe, type ProbePlan } from './flopScaling.js';
import { formatDuration } from './progress.js';
import type { ExperimentRun } from './spec.js';

/**
 * Steps timed after one warm-up: at least MIN_STEPS, and more while under a second when steps
 * are fast (less noise), at most MAX_STEPS. ResNet-20 on 2 cores: 3 steps, a few seconds.
 */
const MIN_STEPS = 2;
const MAX_STEPS = 20;
const ENOUGH_SECONDS = 1;
/** Test batches timed after one warm-up batch. */
const EVAL_BATCHES = 2;

export interface StepCost {
  readonly backend: string;
  /** Seconds of one training step (a batch) and one evaluation batch. */
  readonly stepSeconds: number;
  readonly evalBatchSeconds: number;
  readonly timedSteps: number;
  readonly trainSize: number;
  readonly testSize: number;
  /** Why the probe did not use the real data, when it did not. */
  readonly standIn?: string;
  /** The batch actually timed when a full batch was too slow to time (the figures are scaled from it). */
  readonly scaledFrom?: number;
  /** Why: a full batch would take too long to time, or would not fit the wasm heap. */
  readonly scaledBecause?: 'time' | 'memory';
  /** The run's network's forward FLOPs an image, the variant timed in its place, or why uncounted. */
  readonly flops: Pick<ProbePlan, 'flops' | 'variant' | 'uncounted'>;
  /** On wasm: why a run would be refused here, or the warning it would get (its step near the 4 GiB heap). */
  readonly memory?: string;
}

/** Forward and backward passes a step of this run takes: SAM's two, every other optimizer's one. */
const passesPerStep = (config: RunConfig) => optimizers.get(config.optimizer.name).gradientEvaluationsPerStep;

/** Runs that cost the same per step share one probe; SAM's second pass is timed, not assumed. */
export function probeKey(config: RunConfig): string {
  const { model, dataset, backend, vdm } = config;
  return JSON.stringify({ model, dataset, backend, apply: vdm.options.apply, passes: passesPerStep(config) });
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** The data a probe times: the real data set, or synthetic data of its nominal shape. */
async function probeData(config: RunConfig): Promise<{ dataset: Dataset; trainSize: number; testSize: number; standIn?: string }> {
  const { dataset } = config;
  try {
    const real = await buildDataset(config);
    return { dataset: real, trainSize: real.size('train'), testSize: real.size('test') };
  } catch (error) {
    const nominal = datasets.get(dataset.name).nominal?.(dataset.params);
    if (!(error instanceof DataError) || nominal === undefined) throw error;
    const params = syntheticDataset.params.parse({
      shape: nominal.inputShape, classes: nominal.numClasses, size: (MAX_STEPS + 1) * dataset.batch_size, test_size: (EVAL_BATCHES + 1) * dataset.batch_size,
    });
    const standInData = await syntheticDataset.create(params, { seed: config.seed, augment: dataset.augment });
    const subset = (n: number, cap?: number) => Math.min(n, cap ?? n);
    return {
      dataset: standInData,
      trainSize: subset(nominal.trainSize, dataset.subset?.train),
      testSize: subset(nominal.testSize, dataset.subset?.test),
      standIn: `${dataset.name} not readable here (${error.message.split(';')[0]}): timed on synthetic data of the same shape`,
    };
  }
}

/** Seconds per test batch: the mean over EVAL_BATCHES after a warm-up batch. */
async function timeEvaluation(input: StepInput, dataset: Dataset, batchSize: number): Promise<number> {
  const iterator = dataset.batches('test', { batchSize });
  const taken: Batch[] = [];
  for (let i = 0; i <= EVAL_BATCHES; i++) {
    const next = await iterator.next();
    if (next.done) break;
    taken.push(next.value);
  }
  await iterator.return?.();
  const one = async function* (batch: Batch) {
    yield batch;
  };
  let total = 0;
  for (const [i, batch] of taken.entries()) {
    const started = performance.now();
    await evaluate(input, one(batch));
    if (i > 0) total += seconds(started); // the first is the inference path's warm-up
  }
  return taken.length > 1 ? total / (taken.length - 1) : 0;
}

/**
 * Large networks (ResNeXt-29 16x64d, DenseNet-BC-190, WRN-28-10: 5-11 GFLOPs an image) would take
 * minutes a step at batch 128 on a CPU backend, and gigabytes of activations (DenseNet-BC-190's
 * concatenations hold ~0.5 GB an image). A pilot step at PILOT_BATCH decides: where the full batch would exceed SCALE_ABOVE_SECONDS a step, the probe
 * times PILOT_BATCH and scales by batch / PILOT_BATCH (a convolutional step's cost is close to
 * linear in the batch; if anything this overstates the big batch's cost per image).
 */
const PILOT_BATCH = 4;
const SCALE_ABOVE_SECONDS = 10;

/** Mean seconds of training steps at `batchSize` after one warm-up step: at least `minSteps`, more while under a second. */
async function timeSteps(input: StepInput, dataset: Dataset, config: RunConfig, batchSize: number, minSteps: number, maxSteps: number): Promise<{ mean: number; timed: number }> {
  const batches = dataset.batches('train', { batchSize, rng: RandomStream.derive(config.seed, 'data', 1) });
  let timed = 0;
  let total = 0;
  try {
    for (let i = 0; i <= maxSteps; i++) {
      const next = await batches.next();
      if (next.done) break;
      const started = performance.now();
      await trainStep(input, next.value, config.optimizer.lr, 1);
      if (i === 0) continue; // the warm-up: kernels compiled, buffers allocated
      total += seconds(started);
      timed++;
      if (timed >= minSteps && total >= ENOUGH_SECONDS) break;
    }
  } finally {
    await batches.return?.();
  }
  return { mean: timed > 0 ? total / timed : 0, timed };
}

/** Times one warm-up and then up to MAX_STEPS training steps, and evaluation batches. */
export async function probeStepCost(config: RunConfig): Promise<StepCost> {
  const backend = await selectBackend(config.backend);
  const data = await probeData(config);
  const plan = await planProbe(config, { inputShape: data.dataset.inputShape, numClasses: data.dataset.numClasses });
  const memory = backend.name === 'wasm' ? await wasmMemoryNote(config, data.dataset) : undefined;
  const parts = buildTrainingParts(plan.timed, data.dataset);
  const input: StepInput = { ...parts, inputShape: data.dataset.inputShape, numClasses: data.dataset.numClasses };
  const batch = config.dataset.batch_size;
  try {
    let probeBatch = batch;
    let steps: { mean: number; timed: number } | undefined;
    // A batch past the wasm heap would fail or compute garbage: time the largest that fits.
    const fits = backend.name === 'wasm' ? ((await estimateWasmStep(plan.timed, data.dataset))?.largestBatch ?? batch) : batch;
    if (fits < batch) {
      probeBatch = Math.max(1, Math.min(PILOT_BATCH, fits));
      steps = await timeSteps(input, data.dataset, plan.timed, probeBatch, plan.variant ? MIN_STEPS : 1, MAX_STEPS);
    } else if (batch > PILOT_BATCH) {
      // One timed step: a pilot that says "scale" is already seconds long, and it is the figure used.
      // A stand-in variant's figure is multiplied by the FLOP ratio too (x20-40): two steps, less noise.
      const pilot = await timeSteps(input, data.dataset, plan.timed, PILOT_BATCH, plan.variant ? MIN_STEPS : 1, MAX_STEPS);
      if ((pilot.mean * batch) / PILOT_BATCH > SCALE_ABOVE_SECONDS) {
        probeBatch = PILOT_BATCH;
        steps = pilot;
      }
    }
    steps ??= await timeSteps(input, data.dataset, plan.timed, batch, MIN_STEPS, MAX_STEPS);
    const scale = (batch / probeBatch) * (plan.variant?.ratio ?? 1);
    const evalBatchSeconds = await timeEvaluation(input, data.dataset, probeBatch);
    return {
      backend: backend.name + (backend.threads && backend.threads > 1 ? `, ${backend.threads} threads` : ''),
      stepSeconds: steps.mean * scale,
      evalBatchSeconds: evalBatchSeconds * scale,
      timedSteps: steps.timed,
      trainSize: data.trainSize,
      testSize: data.testSize,
      standIn: data.standIn,
      ...(probeBatch !== batch ? { scaledFrom: probeBatch, scaledBecause: fits < batch ? ('memory' as const) : ('time' as const) } : {}),
      flops: { flops: plan.flops, variant: plan.variant, uncounted: plan.uncounted },
      ...(memory ? { memory } : {}),
    };
  } finally {
    disposeTrainingParts(parts);
    await data.dataset.close?.();
  }
}

/** What `vdm train` would say of this run's memory on wasm: the refusal, or the warning. */
async function wasmMemoryNote(config: RunConfig, dataset: Pick<Dataset, 'inputShape' | 'numClasses'>): Promise<string | undefined> {
  try {
    return await checkWasmHeap(config, dataset);
  } catch (error) {
    if (error instanceof ConfigError) return `on wasm this run would be refused: ${error.problem}`;
    throw error;
  }
}

/** Seconds one run takes at this cost: its epochs of training steps plus an evaluation each. */
export function runSeconds(config: RunConfig, cost: StepCost): number {
  const batch = config.dataset.batch_size;
  const perEpoch = Math.ceil(cost.trainSize / batch) * cost.stepSeconds + Math.ceil(cost.testSize / batch) * cost.evalBatchSeconds;
  return config.epochs * perEpoch;
}

/**
 * The estimate of an experiment's runs: seconds per run to be run (none for a run whose probe
 * could not run), and lines saying how.
 */
export interface ExperimentEstimate {
  readonly seconds: Map<ExperimentRun, number>;
  /** Runs to be run without an estimate. */
  readonly unknown: number;
  readonly lines: string[];
}

/**
 * Probes each distinct combination once and estimates every run not yet completed. The lines
 * say what was timed, and what a GPU would change without inventing a figure for it.
 */
export async function estimateRuns(runs: readonly ExperimentRun[], isDone: (run: ExperimentRun) => boolean): Promise<ExperimentEstimate> {
  const costs = new Map<string, StepCost | null>();
  const seconds = new Map<ExperimentRun, number>();
  const lines: string[] = [];
  let unknown = 0;
  for (const run of runs) {
    if (isDone(run)) continue;
    const key = probeKey(run.config);
    const { model, dataset } = run.config;
    let cost = costs.get(key);
    if (cost === undefined) {
      try {
        cost = await probeStepCost(run.config);
      } catch (error) {
        // Data that is not there yet must not stop the listing: the estimate is what is lost.
        if (!(error instanceof VdmError) || error instanceof InterruptedError) throw error;
        costs.set(key, null);
        lines.push(`  ${model.name} on ${dataset.name}: no estimate (${error.message.split('\n')[0]})`);
        unknown++;
        continue;
      }
      costs.set(key, cost);
      const batch = dataset.batch_size;
      const perEpoch = runSeconds({ ...run.config, epochs: 1 }, cost);
      const how = cost.flops.variant ? 'estimated, see below' : `mean of ${cost.timedSteps} after a warm-up`;
      const passes = passesPerStep(run.config);
      const optimizer = passes > 1 ? `, ${run.config.optimizer.name} (${passes} gradient evaluations a step)` : '';
      lines.push(
        `  ${model.name} on ${dataset.name}, batch ${batch}${optimizer}, ${cost.backend}: ${cost.stepSeconds.toFixed(3)} s/step (${how}) x ` +
          `${Math.ceil(cost.trainSize / batch)} steps + ${cost.evalBatchSeconds.toFixed(3)} s x ${Math.ceil(cost.testSize / batch)} test batches = ${formatDuration(perEpoch)}/epoch`,
      );
      if (cost.standIn) lines.push(`    ${cost.standIn}`);
      lines.push(...flopLines(model.name, cost));
      if (cost.memory) lines.push(`    ${cost.memory}`);
      const why = cost.scaledBecause === 'memory' ? `a batch-${batch} step does not fit the wasm heap` : `a batch-${batch} step would take over ${SCALE_ABOVE_SECONDS} s here`;
      if (cost.scaledFrom) lines.push(`    timed at batch ${cost.scaledFrom} and scaled x${batch / cost.scaledFrom}: ${why}`);
    }
    if (cost === null) unknown++;
    else seconds.set(run, runSeconds(run.config, cost));
  }
  return { seconds, unknown, lines };
}

const formatGflops = (flops: number) => (flops / 1e9).toPrecision(3);

/** How a scaled estimate was made, and what it means, in words. */
function flopLines(modelName: string, cost: StepCost): string[] {
  const { variant, uncounted } = cost.flops;
  if (uncounted !== undefined) return [`    FLOPs not counted (${uncounted}): timed as it is`];
  if (variant === undefined) return [];
  const params = Object.entries(variant.params).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  const steps = `${cost.timedSteps} step${cost.timedSteps === 1 ? '' : 's'}`;
  return [
    `    an estimate: at ${formatGflops(cost.flops.flops!)} GFLOPs an image (forward) it is too big to time here in seconds, so ${modelName} { ${params} }`,
    `    (${formatGflops(variant.flops)} GFLOPs) was timed (${steps} after a warm-up) and its times scaled x${variant.ratio.toFixed(1)}, the ratio of their FLOPs (counted from layer shapes, nothing allocated);`,
    '    a small network uses the cores less fully than a big one, so this more likely overstates; on a GPU that gap is wider still',
    '    (a small network leaves most of it idle): for a GPU figure, run this dry run on the GPU machine',
  ];
}

export function estimateSummary(estimate: ExperimentEstimate): string[] {
  const todo = [...estimate.seconds.values()];
  const total = todo.reduce((a, b) => a + b, 0);
  const without = estimate.unknown > 0 ? `, and ${estimate.unknown} without an estimate` : '';
  // A probe on a shared machine times its present load too: say so rather than hide it.
  const [load] = loadavg();
  const cores = availableParallelism();
  const busy = load > cores ? [`  this machine is busy (load ${load.toFixed(1)} on ${cores} cores): the timing includes that slowdown`] : [];
  return [
    ...busy,
    `estimated time: ${formatDuration(total)} for ${todo.length} run${todo.length === 1 ? '' : 's'} one after another on this machine${without}` +
      ' (--parallel shares its cores: it shortens this only where cores are idle)',
    '  on a GPU (webgpu on Dawn, or tfjs-node-gpu; `vdm doctor` says which loads) convolutional models train much faster,' +
      ' but by how much is not guessed here: run this dry run on the GPU machine to time it there, or `npm run bench -- gpu` (README Backends)',
  ];
}
