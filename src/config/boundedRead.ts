// Reads a config or experiment file through the shared bounded reader, with its refusals as
// ConfigErrors placed at the file: `/dev/zero`, a FIFO, /proc or a 50 MB file is never read.
import { readBoundedTextIfPresent } from '../files/boundedRead.js';
import { ConfigError, FileRefusedError } from '../errors.js';

/** The file's text; a ConfigError naming the file when it is missing, special or too large. */
export function readBoundedText(file: string, maxBytes: number, what: string): string {
  const at = { file, path: '' };
  let text: string | undefined;
  try {
    text = readBoundedTextIfPresent(file, { maxBytes, what, expected: 'a YAML file' });
  } catch (error) {
    if (error instanceof FileRefusedError) throw new ConfigError(`cannot read ${what}: ${error.reason}`, at);
    throw new ConfigError(`cannot read ${what}: ${(error as Error).message}`, at);
  }
  if (text === undefined) throw new ConfigError(`cannot read ${what}: file not found`, at);
  return text;
}
