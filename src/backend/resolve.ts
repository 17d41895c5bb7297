// Picks and activates the tfjs backend a run asked for (auto: fastest that loads here) and
// reports what ran, its package version, and why faster candidates were skipped.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors.js';
import { registerBroadcastingGradients } from './broadcastingGradients.js';
import { registerWasmGradientKernels } from './wasmGradientKernels.js';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendReport {
  name: BackendName;
  requested: BackendChoice;
  package: string;
  version: string;
  skipped: { backend: string; reason: string }[];
}

/** Loads a backend package (registering its backend with tfjs) and reports its installed version; throws if it cannot load. */
export type ModuleLoader = (packageName: string) => Promise<{ version: string }>;

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
  await import(packageName);
  return { version: installedVersion(packageName) };
};

interface Candidate {
  backend: BackendName;
  packageName: string;
}

const nativeGpu: Candidate = { backend: 'tensorflow', packageName: '@tensorflow/tfjs-node-gpu' };
const nativeCpu: Candidate = { backend: 'tensorflow', packageName: '@tensorflow/tfjs-node' };
const wasm: Candidate = { backend: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm' };
const cpu: Candidate = { backend: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu' };

/** Candidates in the order they are tried: fastest first. */
const candidatesFor: Record<BackendChoice, readonly Candidate[]> = {
  auto: [nativeGpu, nativeCpu, wasm, cpu],
  tensorflow: [nativeGpu, nativeCpu],
  wasm: [wasm],
  cpu: [cpu],
};

/** How to get each choice working, for the error when it cannot load. */
const howToGet: Record<BackendChoice, string> = {
  // Versions checked against tfjs-node-gpu 4.22 (it downloads libtensorflow 2.9.1) and the tfjs-node README.
  tensorflow:
    'install one with `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` ' +
    '(Linux x64 with CUDA 11.2 + cuDNN 8.1), or set backend: auto, wasm or cpu',
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
function silenceCpuBanner(): void {
  const cpuBackend = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpuBackend !== null && 'firstUse' in cpuBackend) cpuBackend.firstUse = false;
}

/** Loads and activates one candidate; returns its version, or throws a short reason. */
async function activate(candidate: Candidate, loader: ModuleLoader): Promise<string> {
  let version: string;
  try {
    ({ version } = await loader(candidate.packageName));
  } catch (error) {
    throw new Error(shortReason(candidate.packageName, error));
  }
  if (candidate.backend === 'wasm') registerWasmGradientKernels();
  if (tf.findBackendFactory(candidate.backend) === null) {
    throw new Error(`loaded, but no '${candidate.backend}' backend was registered (a second copy of @tensorflow/tfjs-core?)`);
  }
  if (!(await tf.setBackend(candidate.backend))) {
    throw new Error(`the '${candidate.backend}' backend failed to initialise`);
  }
  await tf.ready();
  return version;
}

/**
 * Activates the requested backend (tf.setBackend + tf.ready). `auto` falls back through native
 * TensorFlow (GPU, then CPU), wasm and cpu; a backend asked for by name that cannot load is a BackendError.
 * Also installs the faster gradients of this folder (wasm conv kernels, Tile-free BatchNorm and Mean gradients).
 */
export async function selectBackend(
  requested: BackendChoice,
  loader: ModuleLoader = importBackendPackage,
): Promise<BackendReport> {
  silenceCpuBanner();
  registerBroadcastingGradients();
  const skipped: BackendReport['skipped'] = [];
  for (const candidate of candidatesFor[requested]) {
    try {
      const version = await activate(candidate, loader);
      return { name: candidate.backend, requested, package: candidate.packageName, version, skipped };
    } catch (error) {
      skipped.push({ backend: candidate.backend, reason: `${candidate.packageName}: ${(error as Error).message}` });
    }
  }
  const tried = skipped.map((s) => s.reason).join('; ');
  throw new BackendError(`backend '${requested}' is not available (${tried}); ${howToGet[requested]}`);
}
