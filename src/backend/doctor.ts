// What `vdm doctor` reports for each backend: whether it loads here, why not, and what this
// machine has or lacks of what it needs (CUDA 11 libraries, a Vulkan loader and driver, threads).
import { readFileSync } from 'node:fs';
import { importBackendPackage, selectBackend, type ModuleLoader } from './resolve.js';
import { librarySearchHit } from './libraries.js';
import { vulkanDrivers } from './vulkanDrivers.js';
import { describeAdapter } from './webgpu.js';

export interface BackendCheck {
  /** The name a user knows it by: a package short name or a backend choice. */
  readonly name: string;
  readonly loads: boolean;
  /** Version and what it runs on, or why it does not load. */
  readonly detail: string;
  /** What was found (or not) on this machine that it depends on. */
  readonly facts: string[];
  /** What to install or set to get it (or to get more from it). */
  readonly needs: string;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function library(soname: string): string {
  const where = librarySearchHit(soname);
  return `${soname}: ${where === null ? 'missing' : `found (${where})`}`;
}

function nvidiaDriver(): string {
  try {
    const line = readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0] ?? '';
    return `NVIDIA driver: ${line.match(/Kernel Module\s+(\S+)/)?.[1] ?? line.trim()}`;
  } catch {
    return 'NVIDIA driver: none loaded';
  }
}

function driverLine(): string {
  const drivers = vulkanDrivers();
  const named = drivers.namedBy ? ` (named by ${drivers.namedBy})` : '';
  const missing = drivers.missing.length > 0 ? `; missing: ${drivers.missing.join(', ')}` : '';
  const files = drivers.files.length > 0 ? drivers.files.join(', ') : "no ICD file in the loader's vulkan/icd.d folders and none named by VK_DRIVER_FILES";
  return `Vulkan driver: ${files}${named}${missing}`;
}

function containerCapabilities(): string[] {
  const caps = process.env.NVIDIA_DRIVER_CAPABILITIES;
  if (caps === undefined) return [];
  const ok = /\b(graphics|all)\b/.test(caps);
  return [`NVIDIA_DRIVER_CAPABILITIES=${caps}${ok ? '' : ' (lacks graphics: the container gets no NVIDIA Vulkan driver)'}`];
}

async function nativeCheck(name: string, packageName: string, loader: ModuleLoader, facts: string[], needs: string): Promise<BackendCheck> {
  try {
    const { version } = await loader(packageName);
    return { name, loads: true, detail: `${packageName}@${version}`, facts, needs };
  } catch (error) {
    const reason = firstLine(error);
    return { name, loads: false, detail: reason.includes(`'${packageName}'`) ? `${packageName}: not installed` : reason, facts, needs };
  }
}

async function selectCheck(choice: 'webgpu' | 'wasm' | 'cpu', facts: string[], needs: string): Promise<BackendCheck> {
  try {
    const report = await selectBackend(choice);
    const parts = [`${report.package}@${report.version}`];
    if (report.threads !== undefined) parts.push(`${report.threads} thread${report.threads === 1 ? '' : 's'}`);
    if (report.adapter) parts.push(`adapter ${describeAdapter(report.adapter)}${report.adapter.cpu ? '; auto skips a CPU adapter' : ''}`);
    const degraded = report.skipped.map((s) => s.reason);
    return { name: choice, loads: true, detail: [...parts, ...degraded].join(', '), facts, needs };
  } catch (error) {
    // The BackendError's text before its "; how to get it" part: the needs line says that.
    return { name: choice, loads: false, detail: firstLine(error).replace(/^backend '\w+' is not available \((.*?)\); .*$/, '$1'), facts, needs };
  }
}

/** Every backend, fastest first (the order `auto` tries them in). Leaves the cpu backend active. */
export async function checkBackends(loader: ModuleLoader = importBackendPackage): Promise<BackendCheck[]> {
  const cuda = [nvidiaDriver(), library('libcudart.so.11.0'), library('libcudnn.so.8')];
  const checks = [
    await nativeCheck('tfjs-node-gpu', '@tensorflow/tfjs-node-gpu', loader, cuda,
      'npm install @tensorflow/tfjs-node-gpu (Linux x64; downloads libtensorflow 2.9.1 at install) and the CUDA 11.2 + ' +
        'cuDNN 8.1 runtime libraries; a CUDA 12/13 driver stack alone does not load it (libcudart.so.11.0 must be there), and ' +
        'TF 2.9 has no Hopper (H100) kernels, so it JIT-compiles PTX at start-up for 30 minutes or more: use webgpu there'),
    await selectCheck('webgpu', [library('libvulkan.so.1'), driverLine(), ...containerCapabilities()],
      'a Vulkan loader (Debian/Ubuntu: libvulkan1) and the GPU vendor\'s Vulkan driver (NVIDIA: the driver\'s nvidia_icd.json, ' +
        'named by VK_DRIVER_FILES if it is not in /usr/share/vulkan/icd.d; in a container NVIDIA_DRIVER_CAPABILITIES must ' +
        'include graphics); without a GPU, SwiftShader (Debian\'s chromium: ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json) runs it on the CPU, for tests'),
    await nativeCheck('tfjs-node', '@tensorflow/tfjs-node', loader, [],
      'npm install @tensorflow/tfjs-node (Linux, macOS or Windows x64; downloads libtensorflow at install)'),
    await selectCheck('wasm', [],
      'nothing (a dependency); threads: one per core by default, VDM_WASM_THREADS=<n> to choose'),
    await selectCheck('cpu', [], 'nothing (a dependency; the slowest)'),
  ];
  return checks;
}

/** The backend `auto` picks here, with what it skipped. */
export async function autoChoice(loader: ModuleLoader = importBackendPackage): Promise<string> {
  const report = await selectBackend('auto', loader);
  await selectBackend('cpu');
  return report.name === 'tensorflow' ? report.package.replace('@tensorflow/', '') : report.name;
}
