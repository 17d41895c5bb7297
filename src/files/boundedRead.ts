// The one reader for files vdm did not just write itself (configs, run records, checkpoints,
// CSVs, images): regular files only, under a size cap, so /dev/zero, a FIFO or a 50 GB file is
// refused before it can hang the process or fill its memory.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileRefusedError } from '../errors.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
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

export interface ReadLimit {
  /** The most bytes the file can really hold. */
  readonly maxBytes: number;
  /** What the file is, for messages: `run.json`, `a config`. */
  readonly what: string;
}

/** Opens `path` for reading; O_NONBLOCK so that opening a FIFO returns at once instead of waiting for a writer. */
function openForReading(path: string, limit: ReadLimit): { fd: number; stat: Stats } | undefined {
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
    throw new FileRefusedError(`${path}: cannot read ${limit.what}: it is ${kindOf(stat)}; expected a regular file`);
  }
  return { fd, stat };
}

/** The bytes of `path`, or undefined when it does not exist; refused when special or too large. */
export function readBoundedIfPresent(path: string, limit: ReadLimit): Buffer | undefined {
  const opened = openForReading(path, limit);
  if (opened === undefined) return undefined;
  const { fd, stat } = opened;
  const tooLarge = () => new FileRefusedError(`${path}: cannot read ${limit.what}: larger than ${formatBytes(limit.maxBytes)}, more than ${limit.what} can hold`);
  try {
    if (stat.size > limit.maxBytes) throw tooLarge();
    // One byte past the limit tells a file that grew since the stat from one that fits.
    const buffer = Buffer.alloc(Math.min(stat.size, limit.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit.maxBytes) throw tooLarge();
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The bytes of `path`; a missing file is refused like any other unreadable one (ENOENT). */
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

/** The same checks for reads in an async pool (an image folder's loader). */
export async function readBoundedAsync(path: string, limit: ReadLimit): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FileRefusedError(`${path}: cannot read ${limit.what}: it is ${kindOf(stat)}; expected a regular file`);
    const tooLarge = () => new FileRefusedError(`${path}: cannot read ${limit.what}: larger than ${formatBytes(limit.maxBytes)}, more than ${limit.what} can hold`);
    if (stat.size > limit.maxBytes) throw tooLarge();
    const buffer = Buffer.alloc(Math.min(stat.size, limit.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit.maxBytes) throw tooLarge();
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
