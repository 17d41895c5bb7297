// The environment the webgpu tests run Dawn in: SwiftShader (Vulkan on the CPU, from Debian's
// chromium package) unless a Vulkan driver is already configured. Set before Dawn loads, so the
// cases run in a child process (LD_LIBRARY_PATH is read only when a process starts).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The child's environment, or a message saying what to install. */
export function webgpuTestEnv(): { env: NodeJS.ProcessEnv } | { missing: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // else the child's node:test thinks it runs inside this runner and runs nothing
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES) {
    if (!existsSync(SWIFTSHADER_ICD)) {
      return {
        missing:
          `the webgpu tests need a Vulkan driver; none is configured (VK_ICD_FILENAMES / VK_DRIVER_FILES) and SwiftShader ` +
          `is not at ${SWIFTSHADER_ICD}: install Debian's chromium (apt-get install chromium), as .ci/run does`,
      };
    }
    env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  // chromium ships its own Vulkan loader beside SwiftShader; used when libvulkan1 is not installed.
  const icdDir = dirname(env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES ?? SWIFTSHADER_ICD);
  if (existsSync(join(icdDir, 'libvulkan.so.1'))) env.LD_LIBRARY_PATH = [env.LD_LIBRARY_PATH, icdDir].filter(Boolean).join(':');
  env.XDG_RUNTIME_DIR ||= mkdtempSync(join(tmpdir(), 'vdm-xdg-'));
  return { env };
}
