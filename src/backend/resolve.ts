// Picks and activates the tfjs backend a run asked for (auto: fastest that loads here) and
// reports what ran, its package version, and why faster candidates were skipped.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors.js';
import { registerBroadcastingGradients } from './broadcastingGradients.js';
import { releaseGradientsEarly } from './earlyGradientRelease.js';
import { registerSecondOrderGradients } from './secondOrderGradients.js';
import { registerWasmGradientKernels } from './wasmGradientKernels.js';
import { registerWebgpuKernels } from './webgpuKernels.js';
import { defaultWasmThreads, startWasmBackend } from './wasmThreads.js';
import { describeAdapter, installWebgpu, trackWebgpuTensors, WEBGPU_PACKAGE, type AdapterReport } from './webgpu.js';

import type { BackendChoice, BackendName } from './choices.js';

export { BACKEND_CHOICES, type BackendChoice, type BackendName } from './choices.js';

export interface BackendReport {
  name: BackendName;
  requested: BackendChoice;
  package: string;
  version: string;
  skipped: { backend: string; reason: string }[];
  /** Threads the backend computes with (wasm: XNNPACK's pool; the others: 1 for cpu, unknown for native). */
  threads?: number;
  /** The WebGPU adapter (webgpu only). */
  adapter?: AdapterReport;
}

export interface SelectOptions {
  /** Threads for the wasm backend (default: VDM_WASM_THREADS, else one per core). Fixed once wasm has started. */
  wasmThreads?: number;
}

/** Loads a backend package (registering its backend with tfjs) and reports its installed version; throws if it cannot load. */
export type ModuleLoader = (packageName: string) => Promise<{ version: string; adapter?: AdapterReport }>;

const requireHere = createRequire(import.meta.url);

function installedVersion(packageName: string): string {
  try {
    return (requireHere(`${packageName}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The real loader: a dynamic import, then the version from the package's package.json. */
export const importBackendPackage: ModuleLoader = async (packageName) => {
  if (packageName === WEBGPU_PACKAGE) return installWebgpu(); // Dawn must be in place before the import
  await import(packageName);
  return { version: installedVersion(packageName) };
};

interface Candidate {
  backend: BackendName;
  packageName: string;
}

const nativeGpu: Candidate = { backend: 'tensorflow', packageName: '@tensorflow/tfjs-node-gpu' };
const nativeCpu: Candidate = { backend: 'tensorflow', packageName: '@tensorflow/tfjs-node' };
const webgpu: Candidate = { backend: 'webgpu', packageName: WEBGPU_PACKAGE };
const wasm: Candidate = { backend: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm' };
const cpu: Candidate = { backend: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu' };

/** Candidates in the order they are tried: fastest first. */
const candidatesFor: Record<BackendChoice, readonly Candidate[]> = {
  // webgpu after tfjs-node-gpu: only on a real GPU adapter (see activate).
  auto: [nativeGpu, webgpu, nativeCpu, wasm, cpu],
  tensorflow: [nativeGpu, nativeCpu],
  webgpu: [webgpu],
  wasm: [wasm],
  cpu: [cpu],
};

/** How to get each choice working, for the error when it cannot load. */
const howToGet: Record<BackendChoice, string> = {
  // Versions checked against tfjs-node-gpu 4.22 (it downloads libtensorflow 2.9.1) and the tfjs-node README.
  tensorflow:
    'install one with `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` ' +
    '(Linux x64 with CUDA 11.2 + cuDNN 8.1), or set backend: auto, wasm or cpu',
  webgpu:
    'it needs a Vulkan loader (libvulkan1) and the GPU vendor\'s Vulkan driver (NVIDIA in a container: ' +
    'NVIDIA_DRIVER_CAPABILITIES must include graphics); `vdm doctor` checks this machine',
  wasm: 'reinstall it with `npm install @tensorflow/tfjs-backend-wasm`, or set backend: cpu',
  auto: 'reinstall the dependencies with `npm install`',
  cpu: 'reinstall the dependencies with `npm install`',
};

/** A short reason from a load failure: "not installed" when the package itself is missing, else the error's first line. */
function shortReason(packageName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // A broken install (e.g. a missing native binding) is also MODULE_NOT_FOUND, but names another file.
  if (message.includes(`Cannot find package '${packageName}'`) || message.includes(`Cannot find module '${packageName}'`)) {
    return 'not installed';
  }
  const firstLine = message.split('\n')[0] ?? '';
  return firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine;
}

/**
 * tfjs's cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js" banner on its
 * first tensor write. Marking that first write as done silences only this banner; enableProdMode
 * would also hide every other tfjs warning.
 */
export function silenceCpuBanner(): void {
  const cpuBackend = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpuBackend !== null && 'firstUse' in cpuBackend) cpuBackend.firstUse = false;
}

/**
 * For commands that run tensor ops before (or without) choosing a backend, such as config
 * checks: makes the quiet cpu backend the active one, since tfjs would otherwise create a new
 * cpu backend instance (and print the banner) on the first op.
 */
export async function quietDefaultBackend(): Promise<void> {
  await tf.setBackend('cpu');
  silenceCpuBanner();
}

interface Activated {
  version: string;
  threads?: number;
  adapter?: AdapterReport;
  /** A faster mode of this backend that could not start (e.g. threaded wasm). */
  degraded?: string;
}

/** Loads and activates one candidate; returns its version, or throws a short reason. */
async function activate(candidate: Candidate, loader: ModuleLoader, options: SelectOptions, requested: BackendChoice): Promise<Activated> {
  let version: string;
  let adapter: AdapterReport | undefined;
  try {
    ({ version, adapter } = await loader(candidate.packageName));
  } catch (error) {
    throw new Error(shortReason(candidate.packageName, error));
  }
  // A software adapter trains far slower than wasm: auto never picks it, naming webgpu does.
  if (adapter?.cpu && requested === 'auto') {
    throw new Error(`only a CPU adapter (${describeAdapter(adapter)}); set backend: webgpu to use it anyway`);
  }
  if (candidate.backend === 'wasm') registerWasmGradientKernels();
  if (candidate.backend === 'webgpu') registerWebgpuKernels();
  if (tf.findBackendFactory(candidate.backend) === null) {
    throw new Error(`loaded, but no '${candidate.backend}' backend was registered (a second copy of @tensorflow/tfjs-core?)`);
  }
  if (candidate.backend === 'wasm') {
    const started = await startWasmBackend(options.wasmThreads ?? defaultWasmThreads());
    await tf.ready();
    return { version, threads: started.threads, degraded: started.fallbackReason };
  }
  if (!(await tf.setBackend(candidate.backend))) {
    throw new Error(`the '${candidate.backend}' backend failed to initialise`);
  }
  await tf.ready();
  if (candidate.backend === 'webgpu') trackWebgpuTensors();
  return { version, adapter, threads: candidate.backend === 'cpu' ? 1 : undefined };
}

/**
 * Activates the requested backend (tf.setBackend + tf.ready). `auto` falls back through native
 * TensorFlow on the GPU, webgpu on a GPU adapter, native TensorFlow on the CPU, wasm and cpu; a backend asked for by name that cannot load is a BackendError.
 * Also installs the faster gradients of this folder (wasm conv kernels, Tile-free BatchNorm and Mean
 * gradients), the gradients that make gradients differentiable (exact Hessian-vector products) and starts wasm multi-threaded (see wasmThreads.ts).
 */
export async function selectBackend(
  requested: BackendChoice,
  loader: ModuleLoader = importBackendPackage,
  options: SelectOptions = {},
): Promise<BackendReport> {
  silenceCpuBanner();
  registerBroadcastingGradients();
  registerSecondOrderGradients();
  const skipped: BackendReport['skipped'] = [];
  for (const candidate of candidatesFor[requested]) {
    try {
      const { version, threads, degraded, adapter } = await activate(candidate, loader, options, requested);
      if (degraded !== undefined) skipped.push({ backend: `${candidate.backend} (threads)`, reason: degraded });
      releaseGradientsEarly(); // after every gradient above (and the backend's own) is registered
      const report: BackendReport = { name: candidate.backend, requested, package: candidate.packageName, version, skipped, threads };
      return adapter === undefined ? report : { ...report, adapter };
    } catch (error) {
      skipped.push({ backend: candidate.backend, reason: `${candidate.packageName}: ${(error as Error).message}` });
    }
  }
  const tried = skipped.map((s) => s.reason).join('; ');
  throw new BackendError(`backend '${requested}' is not available (${tried}); ${howToGet[requested]}`);
}
