// Loads tfjs's webgpu backend in Node on Dawn (the `webgpu` package's prebuilt dawn.node), and
// says which adapter it got: a real GPU, or a CPU one (SwiftShader) that only an explicit
// `backend: webgpu` may use.
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { librarySearchHit } from './libraries.js';
import { missingVulkanDriver } from './vulkanDrivers.js';

export const WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
export const DAWN_PACKAGE = 'webgpu';

/** What Dawn reports about the adapter it picked (GPUAdapterInfo), plus whether it computes on the CPU. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, llvmpipe, lavapipe): correct, but far slower than the cpu backends for training. */
  cpu: boolean;
}

const requireHere = createRequire(import.meta.url);

/** Software Vulkan/WebGPU implementations, by the names they give in GPUAdapterInfo. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|warp|software/i;

export function isCpuAdapter(info: Omit<AdapterReport, 'cpu'> & { isFallbackAdapter?: boolean }): boolean {
  return info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

export function describeAdapter(adapter: AdapterReport): string {
  const parts = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter((p) => p !== '');
  return `${parts.join(' / ')}${adapter.cpu ? ' (CPU adapter)' : ''}`;
}

/**
 * Why Dawn cannot find a Vulkan loader on Linux, or null when it can. Checked before Dawn loads:
 * without libvulkan.so.1 Dawn prints a native warning and offers no adapter. Dawn also looks
 * beside dawn.node, so a bundle may carry the loader there.
 */
export function missingVulkanLoader(): string | null {
  if (process.platform !== 'linux') return null; // Dawn uses Metal / D3D12 there
  let dawnDir: string[] = [];
  try {
    dawnDir = [join(dirname(requireHere.resolve(DAWN_PACKAGE)), 'dist', `linux-${process.arch}`)];
  } catch {
    // not installed: the import reports that
  }
  if (process.env.VDM_DAWN_NODE) dawnDir.push(dirname(process.env.VDM_DAWN_NODE));
  return librarySearchHit('libvulkan.so.1', dawnDir) !== null
    ? null
    : 'no Vulkan loader (libvulkan.so.1) on the library path; install libvulkan1 and your GPU vendor\'s Vulkan driver';
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<{ info: Omit<AdapterReport, 'cpu'> & { isFallbackAdapter?: boolean } } | null>;
}

let installed: { adapter: AdapterReport } | null = null;

/** Dawn from the `webgpu` package, or from VDM_DAWN_NODE (a dawn.node file: the device bundle carries one beside the bundled script). */
async function importDawn(): Promise<DawnModule> {
  const file = process.env.VDM_DAWN_NODE;
  if (file) return requireHere(file) as DawnModule;
  return (await import(DAWN_PACKAGE)) as unknown as DawnModule;
}

/**
 * Puts Dawn at navigator.gpu (with the WebGPU globals tfjs uses, e.g. GPUBufferUsage), asks for
 * the adapter tfjs will get, then imports the backend, which registers itself only if
 * navigator.gpu exists when it is first imported. Throws a short reason when there is no adapter.
 */
export async function installWebgpu(): Promise<{ version: string; adapter: AdapterReport }> {
  if (installed === null) {
    const noVulkan = missingVulkanLoader() ?? (process.platform === 'linux' ? missingVulkanDriver() : null);
    if (noVulkan !== null) throw new Error(noVulkan);
    // Dawn's Vulkan backend wants a per-user runtime folder; services and containers often have none.
    process.env.XDG_RUNTIME_DIR ??= tmpdir();
    const dawn = await importDawn();
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    // Node 21+ has a read-only global navigator; keep its fields and add gpu.
    const navigator = (globalThis as { navigator?: object }).navigator;
    Object.defineProperty(globalThis, 'navigator', { value: { ...navigator, gpu }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) {
      throw new Error('Dawn found no WebGPU adapter (no Vulkan driver for this GPU? set VK_DRIVER_FILES to its ICD file)');
    }
    const { vendor, architecture, device, description } = adapter.info;
    installed = { adapter: { vendor, architecture, device, description, cpu: isCpuAdapter(adapter.info) } };
  }
  await import('@tensorflow/tfjs-backend-webgpu'); // a literal: bundlers (bench/device) must see it
  return { version: installedVersion(), adapter: installed.adapter };
}

function installedVersion(): string {
  try {
    return (requireHere(`${WEBGPU_PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    // The device bundle has no node_modules; bench/device/pack.sh writes the version in at build time.
    return process.env.VDM_WEBGPU_VERSION ?? 'unknown';
  }
}

interface WebgpuBackendLike {
  tensorMap: { set(dataId: object, value: unknown): void; delete(dataId: object): boolean };
  read(dataId: object): Promise<unknown>;
}

/** Live data ids per webgpu backend instance: tfjs keeps them in a WeakMap, which cannot be listed. */
const liveDataIds = new WeakMap<object, Set<object>>();

/** Call once the webgpu backend is active: records the data ids its tensors live under, for cacheOnHost. */
export function trackWebgpuTensors(): void {
  const backend = tf.backend() as unknown as WebgpuBackendLike;
  if (liveDataIds.has(backend)) return;
  const ids = new Set<object>();
  liveDataIds.set(backend, ids);
  const storage = backend.tensorMap;
  const set = storage.set.bind(storage);
  const remove = storage.delete.bind(storage);
  storage.set = (dataId, value) => {
    ids.add(dataId);
    set(dataId, value);
  };
  storage.delete = (dataId) => {
    ids.delete(dataId);
    return remove(dataId);
  };
}

/**
 * Copies every live webgpu tensor to the host, where tfjs caches it, so that the synchronous reads
 * of code written for the other backends (dataSync in checkpoints) work: tfjs-backend-webgpu reads
 * synchronously through OffscreenCanvas, which Node lacks. A no-op on every other backend.
 */
export async function cacheOnHost(): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as WebgpuBackendLike;
  const ids = liveDataIds.get(backend);
  if (ids === undefined) throw new Error('cacheOnHost: the webgpu backend was not started by selectBackend');
  // read() returns at once for tensors that already have host values.
  await Promise.all([...ids].map((id) => backend.read(id)));
}
