// Reads chosen members of a .tar.gz straight from disk (gunzip + tar stream), so a data set's
// downloaded archive can be used without unpacking it first. Only wanted members are buffered,
// each up to a size the data set states, and the stream stops after a stated number of bytes.
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DataError, InterruptedError } from '../errors.js';

export interface TarLimits {
  /** Largest member that is buffered; a bigger one is an error before any of it is read. */
  readonly memberBytes: number;
  /** Decompressed bytes read through the archive at most (wanted or skipped): a gzip bomb stops here. */
  readonly totalBytes: number;
}

const MiB = 1024 * 1024;

function mib(bytes: number): string {
  return `${Math.round(bytes / MiB)} MiB`;
}

/** Passes bytes through and fails once more than `limit` have gone by. */
function byteLimit(limit: number, onExceeded: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) done(onExceeded());
      else done(null, chunk);
    },
  });
}

/**
 * The contents of the members named in `wanted` (paths inside the archive). Members not in the
 * archive are an error naming the archive and what was looked for; other members are skipped
 * without being buffered.
 */
export async function readTarMembers(
  archivePath: string,
  wanted: readonly string[],
  limits: TarLimits,
  signal?: AbortSignal,
): Promise<Map<string, Buffer>> {
  const want = new Set(wanted.map(normaliseMemberPath));
  const found = new Map<string, Buffer>();
  const extract = tar.extract();
  let refusal: DataError | undefined;
  const refuse = (why: string): DataError => {
    refusal ??= new DataError(`${archivePath}: ${why}; is it the right archive?`);
    return refusal;
  };
  const collect = (async () => {
    for await (const entry of extract) {
      const name = normaliseMemberPath(entry.header.name);
      if (entry.header.type === 'file' && want.has(name)) {
        const size = entry.header.size ?? 0;
        if (size > limits.memberBytes) throw refuse(`member ${name} is ${mib(size)}, more than the ${mib(limits.memberBytes)} it can be`);
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        found.set(name, Buffer.concat(chunks));
      } else {
        entry.resume();
      }
    }
  })();
  const unpacked = byteLimit(limits.totalBytes, () => refuse(`unpacks to more than ${mib(limits.totalBytes)}`));
  const reading = pipeline(createReadStream(archivePath), createGunzip(), unpacked, extract, { signal });
  try {
    await Promise.all([reading, collect]);
  } catch (error) {
    // Whichever side failed first, the other must not be left running or rejecting unheard.
    extract.destroy();
    await Promise.allSettled([reading, collect]);
    if (refusal) throw refusal;
    if (signal?.aborted) throw new InterruptedError(`interrupted while reading ${archivePath}; nothing was written`);
    throw new DataError(`${archivePath}: cannot read the archive (${(error as Error).message}); delete it and fetch it again`);
  }
  const missing = [...want].filter((name) => !found.has(name));
  if (missing.length > 0) {
    throw new DataError(`${archivePath}: archive lacks ${missing.join(', ')}; is it the right archive?`);
  }
  return found;
}

/** Archives written by different tools spell the same member './a/b' or 'a/b'. */
function normaliseMemberPath(name: string): string {
  return name.replace(/^\.\//, '');
}
