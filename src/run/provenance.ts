// What run.json records about where and with what a run was made.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';

const requireHere = createRequire(import.meta.url);

export function packageVersion(name: string): string | null {
  try {
    return (requireHere(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export const VDM_VERSION = (requireHere('../../package.json') as { version: string }).version;

/** The commit of the vdm checkout (with -dirty if it has uncommitted changes), or null. */
export function gitCommit(): string | null {
  try {
    const cwd = new URL('../..', import.meta.url).pathname;
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}

export function environmentFacts(): Record<string, string | null> {
  return {
    vdm_version: VDM_VERSION,
    git_commit: gitCommit(),
    node_version: process.version,
    tfjs_version: packageVersion('@tensorflow/tfjs-core'),
    host: hostname(),
  };
}
