// The one writer of files in run and output folders. Nothing is written through a symbolic link
// or into a special file: a link planted at metrics.csv, log.txt, tb/ or a temporary name would
// otherwise send vdm's bytes to whatever file it points to, outside the folder.
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileRefusedError } from '../errors.js';
import { kindOf, specialFileSystem } from './boundedRead.js';
import { failIfDiskFull } from './testFaults.js';

function lstatIfPresent(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function refusedLink(path: string): FileRefusedError {
  return new FileRefusedError(path, 'is a symbolic link; vdm does not write through links (remove it, or choose another output)');
}

function refusedKind(path: string, stat: Stats, where = 'a file'): FileRefusedError {
  return new FileRefusedError(path, `is ${kindOf(stat)} where vdm writes ${where}; move it away or choose another output`);
}

/** Refuses `path` unless it is absent or a regular file (a link, FIFO, device or folder is refused by name). */
export function assertWritableFile(path: string): void {
  const stat = lstatIfPresent(path);
  if (stat === undefined || stat.isFile()) return;
  if (stat.isSymbolicLink()) throw refusedLink(path);
  throw refusedKind(path, stat);
}

/** The nearest folder at or above `path` that exists. */
function nearestExisting(path: string): string {
  let at = resolve(path);
  const present = (p: string) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false; // absent, or under a file (ENOTDIR): whoever creates it says which
    }
  };
  while (!present(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/** Refuses an output on /proc or /sys: writes there reach the kernel, and some never return. */
export function assertOrdinaryPlace(path: string): void {
  const special = specialFileSystem(nearestExisting(path));
  if (special) throw new FileRefusedError(path, `is on ${special}, a special file system; choose another output`);
}

/** Creates folder `path` (and its parents) unless it is there; a link or file in its place is refused. */
export function makeFolder(path: string): void {
  assertOrdinaryPlace(path);
  const stat = lstatIfPresent(path);
  if (stat?.isDirectory()) return;
  if (stat?.isSymbolicLink()) throw refusedLink(path);
  if (stat !== undefined) throw refusedKind(path, stat, 'a folder');
  mkdirSync(path, { recursive: true });
}

const NOFOLLOW = constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Opens with `flags` without following a final link, and checks that what opened is a regular file. */
function openRegular(path: string, flags: number): number {
  let fd: number;
  try {
    fd = openSync(path, flags | NOFOLLOW, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // O_NOFOLLOW answers ELOOP for a link; a FIFO without a reader answers ENXIO to O_NONBLOCK.
    if (code === 'ELOOP') throw refusedLink(path);
    if (code === 'ENXIO' || code === 'EEXIST') assertWritableFile(path);
    throw error;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw refusedKind(path, stat);
  }
  return fd;
}

/** Writes `content` to an open descriptor in full. */
export function writeAll(fd: number, content: string | Buffer, path?: string): void {
  if (path !== undefined) failIfDiskFull(path);
  const buffer = typeof content === 'string' ? Buffer.from(content) : content;
  for (let done = 0; done < buffer.length; ) done += writeSync(fd, buffer, done);
}

/**
 * Creates `path` exclusively (O_EXCL: whatever is there already, a link included, is never
 * opened) and returns its descriptor. A regular file left there is replaced first; anything
 * else is refused by name.
 */
export function createExclusive(path: string): number {
  const stat = lstatIfPresent(path);
  if (stat?.isFile()) rmSync(path, { force: true }); // a dead process's temporary
  else if (stat !== undefined) assertWritableFile(path);
  return openRegular(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
}

/** Writes `content` into a new file `path` created exclusively. */
export function writeNewFile(path: string, content: string | Buffer, sync = false): void {
  const fd = createExclusive(path);
  try {
    writeAll(fd, content, path);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` whole: a temporary created exclusively beside it, then one rename. A link or
 * special file at `path` is refused (the rename would hide a planted link, not follow it, but
 * the user should hear that something else stood there).
 */
export function writeFileAtomic(path: string, content: string | Buffer, options: { sync?: boolean } = {}): void {
  assertWritableFile(path);
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeNewFile(temporary, content, options.sync);
    assertWritableFile(path);
    renameSync(temporary, path);
  } catch (error) {
    if (!(error instanceof FileRefusedError && error.path === temporary)) rmSync(temporary, { force: true });
    throw error;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Opens `path` for appending (created if absent), never through a link; for a file kept open. */
export function openForAppend(path: string): number {
  return openRegular(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
}

/** Appends `text` to `path` (created if absent), never through a link or into a special file. */
export function appendToFile(path: string, text: string | Buffer): void {
  const fd = openForAppend(path);
  try {
    writeAll(fd, text, path);
  } finally {
    closeSync(fd);
  }
}

