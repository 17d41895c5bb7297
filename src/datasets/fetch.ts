// Downloads a published file with resume (HTTP Range into a .part file), MD5 verification and an
// atomic rename into place, so a file under its final name is always complete and verified.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { DataError } from '../errors.js';

export interface RemoteFile {
  readonly url: string;
  /** Published MD5, lower-case hex. */
  readonly md5: string;
}

export interface DownloadOptions {
  /** Draw a progress bar on stderr; default: when stderr is a terminal. */
  readonly progress?: boolean;
}

export type DownloadOutcome = 'downloaded' | 'already-present';

export async function md5OfFile(path: string, hash: Hash = createHash('md5')): Promise<Hash> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** Fetches `remote` to `destination` unless a verified copy is there already. */
export async function downloadVerified(remote: RemoteFile, destination: string, options: DownloadOptions = {}): Promise<DownloadOutcome> {
  if (existsSync(destination)) {
    const md5 = (await md5OfFile(destination)).digest('hex');
    if (md5 === remote.md5) return 'already-present';
    throw new DataError(`${destination} exists but its MD5 is ${md5}, expected ${remote.md5}; delete it and fetch again`);
  }
  await mkdir(dirname(destination), { recursive: true });
  const part = `${destination}.part`;
  const hash = await transfer(remote.url, part, options.progress ?? process.stderr.isTTY === true);
  const md5 = hash.digest('hex');
  if (md5 !== remote.md5) {
    await unlink(part);
    throw new DataError(`checksum mismatch for ${remote.url}: MD5 ${md5}, expected ${remote.md5}; the download was deleted`);
  }
  await rename(part, destination);
  return 'downloaded';
}

/** Completes `part` from `url`, resuming from its current size; returns the MD5 state of the whole file. */
async function transfer(url: string, part: string, showProgress: boolean): Promise<Hash> {
  const have = existsSync(part) ? statSync(part).size : 0;
  const response = await request(url, have, part);
  if (response.status === 416 && have > 0) return md5OfFile(part); // the part was already complete
  if (response.status !== 200 && response.status !== 206) {
    throw new DataError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  // A 200 to a ranged request means the server ignored the range: start over.
  const resumeAt = response.status === 206 ? rangeStart(response, url) : 0;
  if (resumeAt !== 0 && resumeAt !== have) throw new DataError(`cannot resume ${url}: server resumed at byte ${resumeAt}, not ${have}`);
  const hash = resumeAt > 0 ? await md5OfFile(part) : createHash('md5');
  const length = Number(response.headers.get('content-length') ?? NaN);
  const bar = showProgress ? progressBar(url, resumeAt, resumeAt + length) : undefined;
  let received = resumeAt;
  // Plain awaited writes, not a stream pipeline: when the connection breaks, every byte
  // received so far is on disk for the next resume (a destroyed write stream drops its buffer).
  const file = await open(part, resumeAt > 0 ? 'a' : 'w');
  try {
    for await (const chunk of Readable.fromWeb(response.body as any) as AsyncIterable<Buffer>) {
      await file.write(chunk);
      hash.update(chunk);
      received += chunk.length;
      bar?.update(received);
    }
  } catch (error) {
    throw new DataError(
      `download of ${url} broke off after ${received} bytes (${(error as Error).message}); run the same command again to resume`,
    );
  } finally {
    await file.close();
    bar?.stop();
  }
  return hash;
}

async function request(url: string, from: number, part: string): Promise<Response> {
  try {
    return await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {} });
  } catch (error) {
    const kept = from > 0 ? `; the ${from} bytes already in ${part} are kept for resuming` : '';
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new DataError(`cannot download ${url}: ${cause}${kept}`);
  }
}

function rangeStart(response: Response, url: string): number {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  if (!match) throw new DataError(`cannot resume ${url}: partial response without a Content-Range header`);
  return Number(match[1]);
}

/** A bar on stderr showing megabytes received; `update` takes the byte count so far. */
function progressBar(url: string, start: number, total: number): { update(bytes: number): void; stop(): void } {
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const known = Number.isFinite(total) ? total : 0;
  const bar = new cliProgress.SingleBar(
    { format: `${url.split('/').pop()} [{bar}] {percentage}% {received_mb}/{total_mb} MB`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(known, start, { received_mb: mb(start), total_mb: known ? mb(known) : '?' });
  return { update: (bytes) => bar.update(bytes, { received_mb: mb(bytes) }), stop: () => bar.stop() };
}
