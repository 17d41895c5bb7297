// Small file helpers for result folders: JSON written atomically, so a crash or a second
// process never sees half a file.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, content: string | Buffer): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true }); // a failed write leaves no partial temporary behind
    throw error;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJsonIfPresent<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
