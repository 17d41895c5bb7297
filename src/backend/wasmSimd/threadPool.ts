// Splits one call of a wasm SIMD kernel (kernels.ts) across worker threads that share
// tfjs-backend-wasm's heap, as XNNPACK splits its kernels across emscripten's pthreads: in the
// threaded build that heap is a SharedArrayBuffer, so a worker with its own instance of the
// kernels' module reads and writes the same tensors. Each part writes its own slice of the
// output, so results do not depend on how many threads ran them.
//
// The main thread waits with Atomics.wait (a kernel call is synchronous in tfjs). A worker is
// used only once it has said it is ready, so a worker that never starts costs speed, not a hang.
import { Worker } from 'node:worker_threads';

/** A job's slots in a worker's control array (Int32). */
const JOB = 0; // sequence number of the last job posted
const DONE = 1; // sequence number of the last job finished
const READY = 2; // 1 once the worker's instance exists
const FAILED = 3; // 1 when the last job threw
const EXPORT = 4; // index into the worker's export names
const ARGS = 5;
const MAX_ARGS = 32;

// Plain JavaScript run by `eval`: no TypeScript loader in the worker (as wasmThreads.ts's pthreads).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, exportNames } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = exportNames.map((name) => exports[name]);
const slots = new Int32Array(control);
Atomics.store(slots, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(slots, ${JOB}, seen);
  seen = Atomics.load(slots, ${JOB});
  const count = slots[${EXPORT}] >>> 16;
  const kernel = kernels[slots[${EXPORT}] & 0xffff];
  try {
    kernel(...slots.subarray(${ARGS}, ${ARGS} + count));
    Atomics.store(slots, ${FAILED}, 0);
  } catch {
    Atomics.store(slots, ${FAILED}, 1);
  }
  Atomics.store(slots, ${DONE}, seen);
  Atomics.notify(slots, ${DONE});
}
`;

class KernelWorker {
  private readonly slots = new Int32Array(new SharedArrayBuffer(4 * (ARGS + MAX_ARGS)));
  private sequence = 0;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, exportNames: readonly string[]) {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { module, memory, control: this.slots.buffer, exportNames },
    });
    worker.unref(); // it waits for jobs forever; it must not keep Node alive
  }

  get ready(): boolean {
    return Atomics.load(this.slots, READY) === 1;
  }

  start(exportIndex: number, args: readonly number[]): void {
    if (args.length > MAX_ARGS) throw new Error(`wasm kernel call with ${args.length} arguments; the thread pool passes at most ${MAX_ARGS}`);
    this.slots.set(args, ARGS);
    this.slots[EXPORT] = (args.length << 16) | exportIndex;
    Atomics.store(this.slots, JOB, ++this.sequence);
    Atomics.notify(this.slots, JOB);
  }

  /** Waits for the job `start` posted; false when it threw (a trap in the kernel). */
  finish(): boolean {
    while (Atomics.load(this.slots, DONE) !== this.sequence) Atomics.wait(this.slots, DONE, this.sequence - 1);
    return Atomics.load(this.slots, FAILED) === 0;
  }
}

/** Worker threads, each with an instance of the kernels' module on the shared heap. */
export class KernelThreadPool {
  private readonly workers: KernelWorker[];

  /** `threads` counts the calling thread: threads - 1 workers. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, private readonly exportNames: readonly string[], threads: number) {
    this.workers = Array.from({ length: Math.max(0, threads - 1) }, () => new KernelWorker(module, memory, exportNames));
  }

  /** Resolves once every worker has its instance (tests and benchmarks wait for the full split). */
  async whenReady(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.workers.every((w) => w.ready)) {
      if (Date.now() > deadline) throw new Error(`wasm kernel workers not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Calls the export `name` once per part, on the calling thread (`local`, its own instance) and
   * each ready worker: `argsOf(part, parts)` gives each call's arguments (integers: pointers
   * and sizes). `maxParts` caps the split (a call with little work is not worth a worker).
   */
  run(name: string, local: (...args: number[]) => void, argsOf: (part: number, parts: number) => number[], maxParts = Infinity): void {
    const exportIndex = this.exportNames.indexOf(name);
    if (exportIndex < 0) throw new Error(`no wasm kernel '${name}' in the thread pool`);
    const helpers = this.workers.filter((w) => w.ready).slice(0, Math.max(0, maxParts - 1));
    const parts = helpers.length + 1;
    helpers.forEach((worker, part) => worker.start(exportIndex, argsOf(part, parts)));
    let failed = false;
    try {
      local(...argsOf(helpers.length, parts));
    } finally {
      for (const worker of helpers) failed = !worker.finish() || failed;
    }
    if (failed) throw new Error(`wasm kernel '${name}' failed on a worker thread`);
  }
}
