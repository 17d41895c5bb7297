// Where the Vulkan loader would find a driver (ICD manifest): the files VK_DRIVER_FILES or
// VK_ICD_FILENAMES name, else the folders the loader searches. Checked before Dawn loads, since
// a loader without a driver makes Dawn print native warnings on every start and offer no adapter.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The loader's search folders on Linux (XDG config and data dirs, then /etc), each + vulkan/icd.d. */
function searchFolders(env: NodeJS.ProcessEnv): string[] {
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dataHome = env.XDG_DATA_HOME || join(env.HOME ?? homedir(), '.local/share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  return [...configDirs, '/etc', dataHome, ...dataDirs].filter(Boolean).map((dir) => join(dir, 'vulkan', 'icd.d'));
}

export interface VulkanDrivers {
  /** The driver manifests found (or named). */
  readonly files: string[];
  /** Files named by the environment that do not exist. */
  readonly missing: string[];
  /** Which variable named them, if one did. */
  readonly namedBy?: string;
}

export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): VulkanDrivers {
  const namedBy = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES'].find((name) => env[name]);
  if (namedBy !== undefined) {
    const named = env[namedBy]!.split(':').filter(Boolean);
    return { files: named.filter((f) => existsSync(f)), missing: named.filter((f) => !existsSync(f)), namedBy };
  }
  const extra = (env.VK_ADD_DRIVER_FILES ?? '').split(':').filter((f) => f && existsSync(f));
  const found = searchFolders(env).flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : []));
  return { files: [...new Set([...found, ...extra])], missing: [] };
}

/** Why no Vulkan driver can be loaded, or null when one can. */
export function missingVulkanDriver(env: NodeJS.ProcessEnv = process.env): string | null {
  const drivers = vulkanDrivers(env);
  if (drivers.files.length > 0) return null;
  if (drivers.namedBy !== undefined) return `no Vulkan driver: ${drivers.namedBy} names ${drivers.missing.join(', ')}, which does not exist`;
  return "no Vulkan driver: no ICD file in the loader's vulkan/icd.d folders, none named by VK_DRIVER_FILES";
}
