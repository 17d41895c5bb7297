// Whether the dynamic loader would find a shared library, without loading it: for the backends'
// pre-checks and `vdm doctor` (loading a missing one makes native code print warnings).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_DIRS = [
  '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu',
  '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib', '/usr/local/cuda/lib64',
];

/**
 * Where `soname` would be found: a folder on LD_LIBRARY_PATH, `extraDirs` or the usual ones, or
 * 'ld.so.cache'; null when nowhere. The cache is searched as bytes, which is what ldconfig -p lists.
 */
export function librarySearchHit(soname: string, extraDirs: readonly string[] = []): string | null {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== ''), ...extraDirs, ...DEFAULT_DIRS];
  const dir = dirs.find((d) => existsSync(join(d, soname)));
  if (dir !== undefined) return dir;
  try {
    return readFileSync('/etc/ld.so.cache').includes(soname) ? 'ld.so.cache' : null;
  } catch {
    return null;
  }
}
