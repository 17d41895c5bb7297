// Reads a small text file (a config, an experiment) only after checking that it is a regular
// file under a size limit: `/dev/zero`, a FIFO or a 50 MB file is refused before any byte is read.
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { ConfigError } from '../errors.js';

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${bytes} bytes`;
}

/** The file's text; a ConfigError naming the file when it is missing, special or too large. */
export function readBoundedText(file: string, maxBytes: number, what: string): string {
  const at = { file, path: '' };
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read ${what}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}`, at);
  }
  // Opening a FIFO blocks until someone writes to it, so the kind is checked before opening.
  if (!stat.isFile()) throw new ConfigError(`cannot read ${what}: it is ${kindOf(stat)}; expected a YAML file`, at);
  const tooLarge = () =>
    new ConfigError(`cannot read ${what}: larger than ${formatBytes(maxBytes)} (the limit for a ${what} file)`, at);
  if (stat.size > maxBytes) throw tooLarge();
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new ConfigError(`cannot read ${what}: ${(error as Error).message}`, at);
  }
  try {
    // One byte past the limit tells a file that grew since the stat from one that fits.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw tooLarge();
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read ${what}: ${(error as Error).message}`, at);
  } finally {
    closeSync(fd);
  }
}
