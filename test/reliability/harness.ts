// The hostile-input corpus's one harness: runs a case of the vdm command line in a fresh temp
// folder and checks what the issue promises for every bad input: the exit code, exactly one
// `vdm: error:` line naming the problem, no stack trace, and not one file created, changed or
// removed anywhere in the folder (the output root included: a refused run writes nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { main } from '../../src/cli/main.js';
import { runCliAsync, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { tinyConfigYaml } from '../helpers/tinyRun.js';

export interface HostileCase {
  readonly title: string;
  /** Files to create, relative to the case's folder (which is also the working directory). */
  readonly files?: Record<string, string | Buffer>;
  /** More preparation: FIFOs, links, servers; may return the arguments (they can depend on it). */
  readonly setup?: (dir: string) => void | string[] | Promise<void | string[]>;
  readonly args?: readonly string[];
  /** The error line after `vdm: error: `. */
  readonly message: RegExp;
  /** Default 2 (bad input). */
  readonly code?: number;
  /**
   * 'process' runs the real bin/vdm (needed for signals, and what a user sees); the default runs
   * the same `main()` in this process, which keeps a corpus of dozens of cases to seconds.
   */
  readonly mode?: 'process' | 'in-process';
  readonly env?: Record<string, string>;
  /** Paths (relative) that the case may change, e.g. a download's .part file. */
  readonly mayChange?: readonly string[];
  /** Lines that may come before the error (e.g. one warning per skipped image); none by default. */
  readonly warnings?: RegExp;
  /** Further checks on the folder afterwards (e.g. what a .part file kept). */
  readonly check?: (dir: string) => void;
}

/** Path -> kind, size and modification time of everything under `root` (folders: kind only). */
export function snapshotTree(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const kind = stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other';
      // A folder's own mtime moves when a temporary file comes and goes; its entries say what stayed.
      found.set(path.slice(root.length + 1), stat.isDirectory() ? kind : `${kind} ${stat.size} ${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(path);
    }
  };
  walk(root);
  return found;
}

function changes(before: Map<string, string>, after: Map<string, string>, allowed: readonly string[]): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  const free = (path: string) => allowed.some((a) => path === a || path.startsWith(`${a}/`));
  return [...paths].filter((path) => before.get(path) !== after.get(path) && !free(path)).map((path) => `${path}: ${before.get(path) ?? 'absent'} -> ${after.get(path) ?? 'absent'}`);
}

/** Runs `main()` here with the working directory and the output streams of a real run. */
async function runInProcess(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const home = process.cwd();
  // stdout is also how node's test runner reports from this file: record it, but let it through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += String(chunk);
    return (writes.out as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  Object.assign(process.env, env);
  process.chdir(cwd);
  try {
    const code = await main(['node', 'vdm', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.chdir(home);
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    // Commands add their Ctrl-C handlers per call; a corpus of calls must not pile them up.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!listeners[signal].includes(listener)) process.off(signal, listener);
    }
  }
}

/** The checks every case makes. */
export function assertRefused(result: CliResult, expected: { code: number; message: RegExp; warnings?: RegExp }): void {
  const shown = `exit ${result.code}; stderr:\n${result.stderr}`;
  assert.equal(result.code, expected.code, shown);
  const lines = result.stderr.split('\n').filter((line) => line !== '' && !expected.warnings?.test(line));
  assert.equal(lines.length, 1, `exactly one line on stderr; ${shown}`);
  assert.ok(lines[0].startsWith('vdm: error: '), shown);
  assert.ok(!/^\s+at /m.test(result.stderr), `no stack trace; ${shown}`);
  assert.match(lines[0].slice('vdm: error: '.length), expected.message);
}

export async function runHostileCase(c: HostileCase): Promise<void> {
  const dir = tempDir('vdm-hostile-');
  try {
    for (const [name, content] of Object.entries(c.files ?? {})) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    const args = (await c.setup?.(dir)) ?? c.args ?? [];
    const before = snapshotTree(dir);
    const result = c.mode === 'process' ? await runCliAsync([...args], { cwd: dir, env: c.env }) : await runInProcess(args, dir, c.env);
    const shown = { ...result, stderr: result.stderr.replaceAll(`${dir}/`, '') };
    // VDM_CORPUS_SHOW=1 lists what each case printed, for reading the corpus as a user would.
    if (process.env.VDM_CORPUS_SHOW) process.stderr.write(`[corpus] ${c.title}\n  exit ${result.code}: ${shown.stderr.trim()}\n`);
    assertRefused(shown, { code: c.code ?? 2, message: c.message, warnings: c.warnings });
    assert.deepEqual(changes(before, snapshotTree(dir), c.mayChange ?? []), [], 'nothing created, changed or removed');
    c.check?.(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One node:test test per case, titled by its table and title. */
export function corpus(table: string, cases: readonly HostileCase[]): void {
  for (const c of cases) test(`${table}: ${c.title}`, () => runHostileCase(c));
}

/** A valid tiny run (cpu, synthetic data) writing under results/: each case breaks one piece of it. */
export const BASE_CONFIG = tinyConfigYaml('results');
