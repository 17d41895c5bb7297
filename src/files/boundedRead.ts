// The one reader for files vdm did not just write itself (configs, run records, checkpoints,
// CSVs, images): regular files only, under a size cap, so /dev/zero, a FIFO or a 50 GB file is
// refused before it can hang the process or fill its memory.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileRefusedError } from '../errors.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export function kindOf(stat: Stats): string {
  if (stat.isFile()) return 'a file';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
  if (bytes >= KiB) return `${(bytes / KiB).toFixed(bytes % KiB === 0 ? 0 : 1)} KiB`;
  return `${bytes} bytes`;
}

/** /proc and /sys files claim to be regular and empty, and then stream: kernel state, environments. */
const SPECIAL_ROOTS = ['/proc', '/sys'];

/** The special file system `path` lies on (after links), if any. */
export function specialFileSystem(path: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined; // not there (yet): whatever opens it reports that
  }
  return SPECIAL_ROOTS.find((root) => real === root || real.startsWith(`${root}/`));
}

export interface ReadLimit {
  /** The most bytes the file can really hold. */
  readonly maxBytes: number;
  /** What the file is, for messages: `run.json`, `config`. */
  readonly what: string;
  /** What was expected instead of a special file (default `a regular file`). */
  readonly expected?: string;
}

function refused(path: string, limit: ReadLimit, reason: string): FileRefusedError {
  return new FileRefusedError(path, reason, `cannot read ${limit.what}`);
}

function notRegular(path: string, limit: ReadLimit, stat: Stats): FileRefusedError {
  return refused(path, limit, `it is ${kindOf(stat)}; expected ${limit.expected ?? 'a regular file'}`);
}

function tooLarge(path: string, limit: ReadLimit): FileRefusedError {
  return refused(path, limit, `larger than ${formatBytes(limit.maxBytes)} (the limit for a ${limit.what} file)`);
}

function checkPlace(path: string, limit: ReadLimit): void {
  const special = specialFileSystem(path);
  if (special) throw refused(path, limit, `it is on ${special}, a special file system; expected ${limit.expected ?? 'a regular file'}`);
}

/**
 * Opens `path` for reading, or undefined when it does not exist. O_NONBLOCK: opening a FIFO
 * returns at once instead of waiting for a writer, and the fstat that follows refuses it.
 */
function openForReading(path: string, limit: ReadLimit): { fd: number; stat: Stats } | undefined {
  checkPlace(path, limit);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw notRegular(path, limit, stat);
  }
  return { fd, stat };
}

/** The bytes of `path`, or undefined when it does not exist; refused when special or too large. */
export function readBoundedIfPresent(path: string, limit: ReadLimit): Buffer | undefined {
  const opened = openForReading(path, limit);
  if (opened === undefined) return undefined;
  const { fd, stat } = opened;
  try {
    if (stat.size > limit.maxBytes) throw tooLarge(path, limit);
    // One byte past the limit tells a file that grew since the stat from one that fits.
    const buffer = Buffer.alloc(Math.min(stat.size, limit.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit.maxBytes) throw tooLarge(path, limit);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The bytes of `path`; a missing one throws Node's ENOENT error, as readFileSync would. */
export function readBounded(path: string, limit: ReadLimit): Buffer {
  const bytes = readBoundedIfPresent(path, limit);
  if (bytes === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT', syscall: 'open', path });
  return bytes;
}

export function readBoundedText(path: string, limit: ReadLimit): string {
  return readBounded(path, limit).toString('utf8');
}

export function readBoundedTextIfPresent(path: string, limit: ReadLimit): string | undefined {
  return readBoundedIfPresent(path, limit)?.toString('utf8');
}

/** A small JSON file (run.json, flatness.json) or undefined when it is absent, refused or not JSON. */
export function readJsonIfPresent<T>(path: string, maxBytes = 4 * MiB): T | undefined {
  try {
    const text = readBoundedTextIfPresent(path, { maxBytes, what: 'a JSON record' });
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch {
    return undefined;
  }
}

/** The same checks for reads in an async pool (an image folder's loader). */
export async function readBoundedAsync(path: string, limit: ReadLimit): Promise<Buffer> {
  checkPlace(path, limit);
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(path, limit, stat);
    if (stat.size > limit.maxBytes) throw tooLarge(path, limit);
    const buffer = Buffer.alloc(Math.min(stat.size, limit.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit.maxBytes) throw tooLarge(path, limit);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
