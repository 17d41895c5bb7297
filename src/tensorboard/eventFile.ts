// A TensorBoard events file: TFRecord framing (length, masked CRC-32C of the length, payload,
// masked CRC-32C of the payload) around Event messages, appended and written through at once so a
// crashed run keeps every event so far.
import { closeSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeFolder, openForAppend } from '../files/safeWrite.js';
import { maskedCrc32c } from './crc32c.js';
import { fileVersionEvent } from './events.js';

export function tfRecord(payload: Uint8Array): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(payload.length));
  const lengthCrc = Buffer.alloc(4);
  lengthCrc.writeUInt32LE(maskedCrc32c(length));
  const payloadCrc = Buffer.alloc(4);
  payloadCrc.writeUInt32LE(maskedCrc32c(payload));
  return Buffer.concat([length, lengthCrc, payload, payloadCrc]);
}

export class EventFileWriter {
  private constructor(
    readonly file: string,
    private fd: number | null,
  ) {}

  /** Starts `events.out.tfevents.<seconds>.<host>` in `dir` (TensorBoard reads every such file of a folder). */
  static create(dir: string, now: Date = new Date()): EventFileWriter {
    makeFolder(dir);
    const file = join(dir, `events.out.tfevents.${Math.floor(now.getTime() / 1000)}.${hostname()}`);
    // Appending: a resumed run started in the same second continues the file rather than truncating it.
    const writer = new EventFileWriter(file, openForAppend(file));
    writer.write(fileVersionEvent(now.getTime() / 1000));
    return writer;
  }

  write(event: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.file}: events file already closed`);
    writeSync(this.fd, tfRecord(event));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
