// Runs one measurement (bench/training/child.ts) in a fresh process and returns its JSON result:
// peak RSS and the wasm thread count are fixed per process, so each measurement gets its own.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MeasureRequest, MeasureResult } from './measure.js';
import type { ProfileRequest, ProfileResult } from './profile.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export function inChild(request: MeasureRequest): MeasureResult;
export function inChild(request: ProfileRequest): ProfileResult;
export function inChild(request: MeasureRequest | ProfileRequest): MeasureResult | ProfileResult {
  const run = spawnSync(process.execPath, [...process.execArgv, CHILD, JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) {
    // The error's own line, not the stack below it (the last lines are Node's version banner).
    const lines = run.stderr.trim().split('\n');
    const cause = lines.find((l) => /^\w*(Error|Exception)\b/.test(l)) ?? lines.slice(-3).join(' | ');
    throw new Error(`${request.model} on ${request.backend} failed: ${cause}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}
