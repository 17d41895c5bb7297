// Reads chosen members of a .tar.gz straight from disk (gunzip + tar stream), so a data set's
// downloaded archive can be used without unpacking it first.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DataError } from '../errors.js';

/**
 * The contents of the members named in `wanted` (paths inside the archive). Members not in the
 * archive are an error naming the archive and what was looked for; other members are skipped
 * without being buffered.
 */
export async function readTarMembers(archivePath: string, wanted: readonly string[]): Promise<Map<string, Buffer>> {
  const want = new Set(wanted.map(normaliseMemberPath));
  const found = new Map<string, Buffer>();
  const extract = tar.extract();
  const collect = (async () => {
    for await (const entry of extract) {
      const name = normaliseMemberPath(entry.header.name);
      if (entry.header.type === 'file' && want.has(name)) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        found.set(name, Buffer.concat(chunks));
      } else {
        entry.resume();
      }
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(archivePath), createGunzip(), extract), collect]);
  } catch (error) {
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
