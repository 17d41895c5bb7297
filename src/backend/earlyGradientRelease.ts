// tfjs keeps every tensor of a backward pass until the pass ends: each node's output gradient
// (its dy) stays alive after that node has turned it into its inputs' gradients, so the peak
// holds every gradient of every activation at once (ResNet-20 at batch 128 on wasm: live tensors
// peaked at 1.4 GB). A dy is read by exactly one node, the one that produced the tensor, so once
// the next node's gradient starts it is garbage. This wraps every registered gradient to free
// the previous node's dys then: the same arithmetic, a smaller peak.
import * as tf from '@tensorflow/tfjs';

type GradFunc = tf.GradConfig['gradFunc'];
type Thunks = ReturnType<GradFunc>;

interface Engine {
  gradients: (...args: unknown[]) => unknown;
  state: { gradientDepth: number };
  constructor: { nextTensorId: number };
}

const wrapped = new WeakSet<GradFunc>();
/** The backward pass running now (top level only): where its tensors' ids start, and the last node's dys. */
interface Pass {
  /** Tensors with smaller ids are older than the backward pass: forward tensors, never freed here. */
  start?: number;
  previous?: { dys: tf.Tensor[]; results: Set<tf.Tensor> };
}
let pass: Pass | undefined;
let enabled = true;

/** Turns the early release off (and on again): for the identity tests and the benchmark's before/after. */
export function setEarlyGradientRelease(on: boolean): void {
  enabled = on;
}

/** Frees the last node's dys: read by that node alone, unless its thunks handed one on as a gradient. */
function releasePrevious(p: Pass): void {
  const previous = p.previous;
  p.previous = undefined;
  if (previous === undefined || p.start === undefined) return;
  for (const dy of previous.dys) {
    if (!previous.results.has(dy) && !dy.isDisposed && dy.id >= p.start) dy.dispose();
  }
}

/**
 * Where a gradient of the top-level backward pass starts: the previous node's dys are freed, and
 * the returned record is this node's (its dys, and the tensors it hands on). Undefined when
 * nothing may be freed: release off, no pass, or under an outer tape (a gradient of gradients,
 * whose forward tensors are this backward's).
 */
function enterNode(dy: tf.Tensor | tf.Tensor[]): { dys: tf.Tensor[]; results: Set<tf.Tensor> } | undefined {
  const engine = tf.engine() as unknown as Engine;
  if (!enabled || pass === undefined || engine.state.gradientDepth > 0) return undefined;
  pass.start ??= engine.constructor.nextTensorId; // the first node's gradient: the forward pass is over
  releasePrevious(pass);
  pass.previous = { dys: (Array.isArray(dy) ? dy : [dy]).filter((t): t is tf.Tensor => t != null), results: new Set() };
  return pass.previous;
}

function releasing(gradFunc: GradFunc): GradFunc {
  const wrapper: GradFunc = (dy, saved, attrs) => {
    const record = enterNode(dy);
    const thunks = gradFunc(dy, saved, attrs);
    if (record === undefined) return thunks;
    const kept: Thunks = {};
    for (const [name, thunk] of Object.entries(thunks)) {
      kept[name] = () => {
        const result = thunk();
        record.results.add(result);
        return result;
      };
    }
    return kept;
  };
  wrapped.add(wrapper);
  return wrapper;
}

type CustomGradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/**
 * The same for a tf.customGrad gradient (not in the registry): frees the last node's dys when it
 * starts, and its own once the next node's gradient starts.
 */
export function releasingCustomGradient(gradFunc: CustomGradFunc): CustomGradFunc {
  return (dy, saved) => {
    const record = enterNode(dy);
    const result = gradFunc(dy, saved);
    for (const t of Array.isArray(result) ? result : [result]) record?.results.add(t);
    return result;
  };
}

let engineWrapped = false;

/**
 * Wraps the gradients registered now (call again after registering more: a gradient registered
 * later is simply not released early), and has each top-level backward pass tracked.
 */
export function releaseGradientsEarly(): void {
  const engine = tf.engine() as unknown as Engine;
  if (!engineWrapped) {
    engineWrapped = true;
    const gradients = engine.gradients.bind(engine);
    engine.gradients = (...args: unknown[]) => {
      const outer = pass;
      // A gradients() call inside another's forward pass (gradientDepth > 0) is not top level.
      pass = engine.state.gradientDepth === 0 ? {} : undefined;
      try {
        return gradients(...args);
      } finally {
        pass = outer;
      }
    };
  }
  const names = new Set(['cpu', 'wasm', 'webgpu'].flatMap((backend) => tf.getKernelsForBackend(backend).map((k) => k.kernelName)));
  for (const name of names) {
    const config = tf.getGradient(name);
    if (config === undefined || wrapped.has(config.gradFunc)) continue;
    tf.registerGradient({ ...config, gradFunc: releasing(config.gradFunc) });
  }
}
