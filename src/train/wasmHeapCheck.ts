// A step that needs more memory than the wasm backend's 4 GiB heap fails inside tfjs: with one
// thread as a bare RuntimeError, with several as a hang (a worker dies and the main thread waits
// for it forever). So a run on wasm is sized before it starts, from the model's layer shapes.
import { WASM_HEAP_MAX_BYTES, gib } from '../backend/wasmMemory.js';
import type { RunConfig } from '../config/types.js';
import type { Dataset } from '../datasets/types.js';
import { ConfigError } from '../errors.js';
import { models } from '../models/index.js';
import { forwardActivationBytes } from '../models/memory.js';
import { entryParameterCount } from '../models/types.js';

/**
 * The heap of a training step on wasm (tfjs-backend-wasm 4.22, SGD with momentum, after the
 * second step, gradients freed as the backward pass goes: src/backend/earlyGradientRelease.ts)
 * against this estimate: ResNet-20 at batch 128 0.59 GiB (estimate 0.71), WRN-28-10 at 8 1.18
 * (1.36), DenseNet-BC-100 at 8 0.69 (0.89), EfficientNet-B0 at 32 0.60 (0.69) and at 128 2.27
 * (2.53), ResNeXt-29 16x64d at 1 2.05 (2.32), at 2 2.11 (2.81), at 4 2.77 (3.80) and at 8 3.99
 * of the 4.00 (5.77: refused). Past the heap tfjs aborts, hangs (with threads) or, after XNNPACK
 * fails to set up a convolution, goes on with wrong numbers. Weights: themselves, their
 * gradients, up to two optimizer slots (Adam's) and a step's copies of them (grouped
 * convolutions split their kernels). Activations: the forward's tensors, BatchNorm's
 * training-mode copies, the backward's gradients in flight and the allocator's fragmentation.
 */
const WEIGHT_COPIES = 6;
const ACTIVATION_FACTOR = 2.2;
/** The estimate runs 1.1-1.5x the measured heap: refuse past 1.2x the heap, warn from 0.75x. */
const REFUSE_ABOVE = 1.2;
const WARN_ABOVE = 0.75;

export interface WasmStepEstimate {
  readonly weightBytes: number;
  /** Forward activations at the run's batch size. */
  readonly activationBytes: number;
  readonly stepBytes: number;
  /** The largest batch whose estimate fits the heap (0: not even one image). */
  readonly largestBatch: number;
}

/** The estimate for `config`'s model and batch on `dataset`'s inputs; undefined when the shape backend cannot run the model. */
export async function estimateWasmStep(config: RunConfig, dataset: Pick<Dataset, 'inputShape' | 'numClasses'>): Promise<WasmStepEstimate | undefined> {
  const entry = models.get(config.model.name);
  const size = { inputShape: dataset.inputShape, numClasses: dataset.numClasses };
  let one: number;
  let two: number;
  try {
    one = await forwardActivationBytes(entry, config.model.params, size, 1);
    two = await forwardActivationBytes(entry, config.model.params, size, 2);
  } catch {
    return undefined; // a kernel the shape backend lacks: no estimate, no check
  }
  const perImage = two - one;
  const fixed = one - perImage; // per-step tensors that do not grow with the batch (split kernels)
  const weightBytes = 4 * entryParameterCount(entry, config.model.params, size);
  const activationBytes = fixed + perImage * config.dataset.batch_size;
  const room = WASM_HEAP_MAX_BYTES - WEIGHT_COPIES * weightBytes - ACTIVATION_FACTOR * fixed;
  const largestBatch = perImage > 0 ? Math.max(0, Math.floor(room / (ACTIVATION_FACTOR * perImage))) : Number.POSITIVE_INFINITY;
  return { weightBytes, activationBytes, stepBytes: WEIGHT_COPIES * weightBytes + ACTIVATION_FACTOR * activationBytes, largestBatch };
}

/**
 * Refuses (exit 2, before the run folder is written) a wasm run whose step clearly cannot fit the
 * heap, naming the batch that would; returns a warning line when it comes close.
 */
export async function checkWasmHeap(config: RunConfig, dataset: Pick<Dataset, 'inputShape' | 'numClasses'>): Promise<string | undefined> {
  const estimate = await estimateWasmStep(config, dataset);
  if (estimate === undefined) return undefined;
  const { stepBytes, weightBytes, activationBytes, largestBatch } = estimate;
  const what = `${config.model.name} at batch ${config.dataset.batch_size} needs about ${gib(stepBytes)} on the wasm backend`;
  const how = `estimated from its layer shapes: ${WEIGHT_COPIES} x ${gib(weightBytes)} of weights, gradients and optimizer state, ${ACTIVATION_FACTOR} x ${gib(activationBytes)} of activations`;
  if (stepBytes > REFUSE_ABOVE * WASM_HEAP_MAX_BYTES) {
    const fits = largestBatch >= 1 ? `a batch of at most ${largestBatch} fits` : 'not even a batch of 1 fits';
    throw new ConfigError(`${what}, more than the ${gib(WASM_HEAP_MAX_BYTES)} a 32-bit WebAssembly memory can address (${how}); ${fits}, or use backend cpu or webgpu`, { file: config.source, path: 'dataset.batch_size' });
  }
  if (stepBytes > WARN_ABOVE * WASM_HEAP_MAX_BYTES) {
    return `warning: ${what}, close to the ${gib(WASM_HEAP_MAX_BYTES)} wasm heap (${how}); if tfjs prints an XNN status error or fails, lower dataset.batch_size`;
  }
  return undefined;
}
