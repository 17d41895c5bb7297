// Starts tfjs-backend-wasm's threaded SIMD build in Node, which 4.22 refuses to do
// (WASM_HAS_MULTITHREAD_SUPPORT is false in Node, tfjs issue 3830), so XNNPACK uses every core.
//
// Four things stand in the way, each patched here at run time (node_modules is not edited):
// 1. Emscripten starts each pthread with `new Worker(blob: URL)`; Node's worker_threads takes no
//    blob: URLs (ERR_WORKER_PATH). A global `Worker` subclass starts the same worker script
//    (shipped in wasm-out/) from source instead.
// 2. Each worker then `importScripts` the main script from a Blob, which Node cannot read either;
//    its 'load' message is rewritten to the real file in wasm-out/.
// 3. Emscripten keeps Node alive while a pthread runs; XNNPACK's never end, so workers stay unref'd.
// 4. The C side caps its thread pool at os.cpus().length / 2 (it assumes 2 hyper-threads per
//    core), so 2 vCPUs give 1 thread; os.cpus() reports 2x the wanted threads while it starts.
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

const requireHere = createRequire(import.meta.url);
const wasmOut = '@tensorflow/tfjs-backend-wasm/wasm-out';

/** Emscripten's glue never starts more pthread workers than this (its preallocated pool). */
export const MAX_WASM_THREADS = 8;

let workerGlobalInstalled = false;

/** Worker that accepts what emscripten's pthread pool hands it in Node; anything else passes through. */
function pthreadWorkerClass(): typeof NodeWorker {
  const workerSource = (requireHere(`${wasmOut}/tfjs-backend-wasm-threaded-simd.worker.js`) as { wasmWorkerContents: string })
    .wasmWorkerContents
    // The source is kept in a template literal, so its "\n" escapes became newlines inside string literals.
    .replace(/\n/g, '\\n');
  const mainScriptPath = requireHere.resolve(`${wasmOut}/tfjs-backend-wasm-threaded-simd.js`);
  return class PthreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      // execArgv []: the glue is plain CommonJS; inheriting e.g. --input-type=module would break
      // its require(), and inheriting --import tsx would load a TypeScript loader into 8 workers.
      if (String(url).startsWith('blob:')) super(workerSource, { eval: true, execArgv: [] });
      else super(url, options);
      this.unref();
    }

    /**
     * Emscripten refs a worker while its pthread runs, so that Node outlives it; XNNPACK's pool
     * threads run until the process ends, so no process using wasm would ever exit. The pool only
     * works while the main thread is inside a kernel call, so it never needs to keep Node alive.
     */
    override ref(): void {}

    override postMessage(message: unknown, transferList?: Parameters<NodeWorker['postMessage']>[1]): void {
      const load = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (load?.cmd === 'load' && typeof load.urlOrBlob !== 'string') message = { ...load, urlOrBlob: mainScriptPath };
      super.postMessage(message, transferList);
    }
  };
}

/** Emscripten assigns `global.Worker = worker_threads.Worker` when it starts; that assignment is ignored so ours stays. */
function installWorkerGlobal(): void {
  if (workerGlobalInstalled) return;
  const PthreadWorker = pthreadWorkerClass();
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} });
  workerGlobalInstalled = true;
}

/** Runs `init` while os.cpus() lists `count` entries (restored afterwards, also on failure). */
async function withLogicalCores<T>(count: number, init: () => Promise<T>): Promise<T> {
  const realCpus = os.cpus;
  const mutableOs = os as { cpus: typeof os.cpus };
  mutableOs.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: count }, (_, i) => cpus[i % cpus.length]!);
  };
  try {
    return await init();
  } finally {
    mutableOs.cpus = realCpus;
  }
}

interface WasmPackage {
  setThreadsCount(count: number): void;
  getThreadsCount(): number;
}

/** Threads for wasm when nothing says otherwise: VDM_WASM_THREADS, else one per core. */
export function defaultWasmThreads(): number {
  const fromEnv = Number(process.env.VDM_WASM_THREADS);
  const wanted = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : os.availableParallelism();
  return Math.min(wanted, MAX_WASM_THREADS);
}

export interface WasmStart {
  /** Threads XNNPACK actually runs with (1 when the single-threaded build was used). */
  threads: number;
  /** Why the threaded build was not used although more than one thread was asked for. */
  fallbackReason?: string;
}

/**
 * Activates the wasm backend with `threads` threads (tf.setBackend('wasm')). Call after the package
 * is imported and before anything initialised the wasm backend (the build is chosen once per process).
 * If the threaded build fails to start, falls back to the single-threaded one and says why.
 */
export async function startWasmBackend(threads: number): Promise<WasmStart> {
  const before = processErrorListeners();
  try {
    return await startWasm(threads);
  } finally {
    removeListenersAddedSince(before);
  }
}

type ErrorEvent = 'uncaughtException' | 'unhandledRejection';
type Listener = (...args: unknown[]) => void;
const ERROR_EVENTS: ErrorEvent[] = ['uncaughtException', 'unhandledRejection'];
/** process.listeners/removeListener without their per-event overloads. */
const processEvents = process as unknown as { listeners(event: string): Listener[]; removeListener(event: string, listener: Listener): void };

function processErrorListeners(): Map<ErrorEvent, Listener[]> {
  return new Map(ERROR_EVENTS.map((event) => [event, processEvents.listeners(event)]));
}

/**
 * Emscripten's glue installs process-wide handlers that rethrow any uncaught error from inside
 * themselves: Node then exits with code 7 and prints ~50 kB of minified glue instead of the error.
 * The backend needs neither, so they are removed and Node's own reporting stays.
 */
function removeListenersAddedSince(before: Map<ErrorEvent, Listener[]>): void {
  for (const event of ERROR_EVENTS) {
    for (const listener of processEvents.listeners(event)) {
      if (!before.get(event)!.includes(listener)) processEvents.removeListener(event, listener);
    }
  }
}

async function startWasm(threads: number): Promise<WasmStart> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmPackage;
  const alreadyStarted = tf.engine().registry.wasm !== undefined;
  const wanted = Math.max(1, Math.min(Math.floor(threads), MAX_WASM_THREADS));
  if (wanted > 1 && !alreadyStarted) {
    installWorkerGlobal();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(wanted);
    let failure: unknown = null;
    const started = await withLogicalCores(2 * wanted, () => tf.setBackend('wasm')).catch((error: unknown) => {
      failure = error;
      return false;
    });
    if (started) return { threads: wasm.getThreadsCount() };
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const reason = failure instanceof Error ? failure.message : String(failure ?? 'tf.setBackend returned false');
    if (!(await tf.setBackend('wasm'))) throw new Error(`the 'wasm' backend failed to initialise (threaded: ${reason})`);
    return { threads: 1, fallbackReason: `threaded wasm did not start (${reason})` };
  }
  if (!(await tf.setBackend('wasm'))) throw new Error(`the 'wasm' backend failed to initialise`);
  return { threads: Math.max(1, wasm.getThreadsCount()) };
}
