// Wall time per kernel and per phase of a training step on a synchronous backend (wasm, cpu):
// every kernel registered for the active backend is re-registered with a timing wrapper, and
// tf.engine().gradients is wrapped so that each kernel is filed under forward (the gradient's
// f), backward (back-propagation) or other (optimizer update, BatchNorm statistics, inputs).
// Chosen over tf.profile because tf.profile also records every kernel's inputs, shapes and
// outputs, which adds per-kernel cost to the very times it reports; wasm kernels return only
// when their result is written, so a kernel's wall time is its cost.
import * as tf from '@tensorflow/tfjs';

export type Phase = 'forward' | 'backward' | 'other';
export const PHASES: readonly Phase[] = ['forward', 'backward', 'other'];

export interface KernelTotals {
  readonly calls: number;
  readonly ms: number;
}

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Gradients = ReturnType<typeof tf.engine>['gradients'];
type Engine = ReturnType<typeof tf.engine>;

export class KernelTimer {
  /** Per kernel name: calls and summed wall ms (outermost kernel calls only). */
  readonly kernels = new Map<string, { calls: number; ms: number }>();
  /** Per phase: wall ms spent inside kernels, and wall ms of the phase itself. */
  readonly kernelMsByPhase = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  readonly phaseMs = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  private phase: Phase = 'other';
  /** A kernel that runs another through the engine: only the outer call is timed (no double count). */
  private depth = 0;
  private readonly originals: tf.KernelConfig[] = [];
  private originalGradients: Gradients | null = null;
  private phaseStart = 0;

  install(backendName = tf.getBackend()): void {
    for (const config of tf.getKernelsForBackend(backendName)) {
      this.originals.push(config);
      tf.unregisterKernel(config.kernelName, backendName); // registering over a kernel prints a warning
      tf.registerKernel({ ...config, kernelFunc: this.timed(config.kernelName, config.kernelFunc) });
    }
    const engine = tf.engine();
    const original = engine.gradients;
    this.originalGradients = original;
    const timer = this;
    engine.gradients = function (this: Engine, ...[f, xs, dy, allowNoGradients]: Parameters<Gradients>) {
      const outer = timer.phase;
      const forward = () => {
        timer.enter('forward');
        try {
          return f();
        } finally {
          timer.enter('backward');
        }
      };
      try {
        return original.call(this, forward, xs, dy, allowNoGradients);
      } finally {
        timer.enter(outer);
      }
    } as Gradients;
  }

  uninstall(): void {
    for (const config of this.originals) {
      tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
    this.originals.length = 0;
    if (this.originalGradients) tf.engine().gradients = this.originalGradients;
    this.originalGradients = null;
  }

  /** Starts the clock of the phases (call right before the timed steps). */
  start(): void {
    this.phase = 'other';
    this.phaseStart = performance.now();
  }

  /** Closes the running phase's time (call right after the timed steps). */
  stop(): void {
    this.enter('other');
  }

  private enter(phase: Phase): void {
    const now = performance.now();
    this.phaseMs.set(this.phase, this.phaseMs.get(this.phase)! + now - this.phaseStart);
    this.phase = phase;
    this.phaseStart = now;
  }

  private timed(name: string, kernelFunc: KernelFunc): KernelFunc {
    return (params) => {
      if (this.depth > 0) return kernelFunc(params);
      this.depth++;
      const start = performance.now();
      try {
        return kernelFunc(params);
      } finally {
        const ms = performance.now() - start;
        this.depth--;
        const row = this.kernels.get(name) ?? { calls: 0, ms: 0 };
        row.calls++;
        row.ms += ms;
        this.kernels.set(name, row);
        this.kernelMsByPhase.set(this.phase, this.kernelMsByPhase.get(this.phase)! + ms);
      }
    };
  }
}
