// Downloads a published file with resume (HTTP Range into a .part file), MD5 verification and an
// atomic rename into place, so a file under its final name is always complete and verified.
// A download is bounded: at most the file's known size, and a server that sends nothing for
// a while (30 s by default) is given up on, keeping what arrived for the next resume.
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { assertOrdinaryPlace } from '../files/safeWrite.js';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { DataError, InterruptedError } from '../errors.js';

export interface RemoteFile {
  readonly url: string;
  /** Published MD5, lower-case hex. */
  readonly md5: string;
  /** The file's known size with slack: a larger download is not this file. */
  readonly maxBytes: number;
}

export interface DownloadOptions {
  /** Draw a progress bar on stderr; default: when stderr is a terminal. */
  readonly progress?: boolean;
  /** Seconds without a byte before giving up; default $VDM_FETCH_STALL_SECONDS or 30. */
  readonly stallSeconds?: number;
  /** Ctrl-C/SIGTERM: stop with an InterruptedError, keeping the bytes received for a resume. */
  readonly signal?: AbortSignal;
}

const DEFAULT_STALL_SECONDS = 30;

function stallSecondsFrom(options: DownloadOptions): number {
  if (options.stallSeconds !== undefined) return options.stallSeconds;
  const fromEnv = Number(process.env.VDM_FETCH_STALL_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_STALL_SECONDS;
}

/** Aborts `controller` when `arm` has not been called for `seconds`; `stop` ends the watch. */
function stallWatch(controller: AbortController, seconds: number): { arm(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${seconds} s`)), seconds * 1000);
  };
  arm();
  return { arm, stop: () => clearTimeout(timer) };
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
  assertOrdinaryPlace(dirname(destination)); // --root /proc/...: refused, not written to
  await mkdir(dirname(destination), { recursive: true });
  const part = `${destination}.part`;
  const hash = await transfer(remote, part, options.progress ?? process.stderr.isTTY === true, stallSecondsFrom(options), options.signal);
  const md5 = hash.digest('hex');
  if (md5 !== remote.md5) {
    await unlink(part);
    throw new DataError(`checksum mismatch for ${remote.url}: MD5 ${md5}, expected ${remote.md5}; the download was deleted`);
  }
  await rename(part, destination);
  return 'downloaded';
}

/** Completes `part` from the remote, resuming from its current size; returns the MD5 state of the whole file. */
async function transfer(remote: RemoteFile, part: string, showProgress: boolean, stallSeconds: number, interrupt?: AbortSignal): Promise<Hash> {
  const { url, maxBytes } = remote;
  const have = existsSync(part) ? statSync(part).size : 0;
  if (have > maxBytes) {
    await unlink(part);
    throw new DataError(`${part} holds ${have} bytes, more than ${url} can be (${maxBytes}); it was deleted, fetch again`);
  }
  const controller = new AbortController();
  const stall = stallWatch(controller, stallSeconds);
  const onInterrupt = () => controller.abort(new InterruptedError(`interrupted while downloading ${url}`));
  if (interrupt?.aborted) onInterrupt();
  interrupt?.addEventListener('abort', onInterrupt);
  try {
    const response = await request(url, have, part, controller.signal);
    if (response.status === 416 && have > 0) return await md5OfFile(part); // the part was already complete
    if (response.status !== 200 && response.status !== 206) {
      throw new DataError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
    }
    // A 200 to a ranged request means the server ignored the range: start over.
    const resumeAt = response.status === 206 ? rangeStart(response, url) : 0;
    if (resumeAt !== 0 && resumeAt !== have) throw new DataError(`cannot resume ${url}: server resumed at byte ${resumeAt}, not ${have}`);
    const length = Number(response.headers.get('content-length') ?? NaN);
    if (resumeAt + length > maxBytes) {
      throw new DataError(`cannot download ${url}: the server sends ${resumeAt + length} bytes, more than the file can be (${maxBytes}); is the address right?`);
    }
    return await receive(response, { url, part, resumeAt, maxBytes }, stall.arm, showProgress);
  } catch (error) {
    if (!(controller.signal.reason instanceof InterruptedError)) throw error;
    const have = existsSync(part) ? statSync(part).size : 0;
    const kept = have > 0 ? `; the ${have} bytes received are kept in ${part} for resuming` : '';
    throw new InterruptedError(`${controller.signal.reason.message}${kept}`);
  } finally {
    stall.stop();
    interrupt?.removeEventListener('abort', onInterrupt);
  }
}

/** Appends the body to `part` chunk by chunk, so whatever arrived is on disk if the connection breaks. */
async function receive(
  response: Response,
  at: { url: string; part: string; resumeAt: number; maxBytes: number },
  onBytes: () => void,
  showProgress: boolean,
): Promise<Hash> {
  const { url, part, resumeAt, maxBytes } = at;
  const hash = resumeAt > 0 ? await md5OfFile(part) : createHash('md5');
  const length = Number(response.headers.get('content-length') ?? NaN);
  const bar = showProgress ? progressBar(url, resumeAt, resumeAt + length) : undefined;
  let received = resumeAt;
  let tooLarge = false;
  // Plain awaited writes, not a stream pipeline: when the connection breaks, every byte
  // received so far is on disk for the next resume (a destroyed write stream drops its buffer).
  // O_NOFOLLOW: a link planted at the .part name is refused (ELOOP), never written through.
  const file = await open(part, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (resumeAt > 0 ? constants.O_APPEND : constants.O_TRUNC), 0o644);
  try {
    for await (const chunk of Readable.fromWeb(response.body as any) as AsyncIterable<Buffer>) {
      onBytes();
      if (received + chunk.length > maxBytes) {
        tooLarge = true;
        break;
      }
      await file.write(chunk);
      hash.update(chunk);
      received += chunk.length;
      bar?.update(received);
    }
  } catch (error) {
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new DataError(`download of ${url} broke off after ${received} bytes (${cause}); run the same command again to resume`);
  } finally {
    await file.close();
    bar?.stop();
  }
  if (tooLarge) {
    await unlink(part);
    throw new DataError(`cannot download ${url}: more than ${maxBytes} bytes, more than the file can be; the download was deleted`);
  }
  return hash;
}

async function request(url: string, from: number, part: string, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {}, signal });
  } catch (error) {
    const kept = from > 0 ? `; the ${from} bytes already in ${part} are kept for resuming` : '';
    const cause = signal.aborted ? (signal.reason as Error).message : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
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
