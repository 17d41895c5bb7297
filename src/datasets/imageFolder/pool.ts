// A fixed set of decode workers fed from one queue, each with a couple of images in flight so
// that none waits on a message round trip. Workers keep the process alive only while busy.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodeResult, DecodeTask } from './decode.js';

const IN_FLIGHT_PER_WORKER = 2;

interface Pending {
  readonly id: number;
  readonly task: DecodeTask;
  readonly resolve: (result: DecodeResult) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly running: Map<number, Pending>;
}

/**
 * The worker file sits beside this one: .js when compiled, .ts under tsx. Node 20 does not
 * apply an `--import tsx` loader to a worker's entry file, so a .ts worker starts from a small
 * bootstrap that registers tsx inside the worker first.
 */
function spawnDecodeWorker(): Worker {
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./decodeWorker${extension}`, import.meta.url);
  if (extension !== '.ts') return new Worker(entry);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;

  constructor(readonly size: number) {}

  run(task: DecodeTask): Promise<DecodeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    if (this.slots.length < this.size && this.queue.length > 0) this.startWorkers();
    for (const slot of this.slots) {
      while (slot.running.size < IN_FLIGHT_PER_WORKER && this.queue.length > 0) {
        const pending = this.queue.shift()!;
        slot.running.set(pending.id, pending);
        slot.worker.ref();
        slot.worker.postMessage({ id: pending.id, task: pending.task });
      }
    }
  }

  private startWorkers(): void {
    while (this.slots.length < this.size) {
      const slot: Slot = { worker: spawnDecodeWorker(), running: new Map() };
      slot.worker.on('message', ({ id, result }: { id: number; result: DecodeResult }) => {
        const pending = slot.running.get(id);
        slot.running.delete(id);
        if (slot.running.size === 0) slot.worker.unref();
        pending?.resolve(result);
        this.dispatch();
      });
      slot.worker.on('error', (error) => this.fail(slot, error));
      slot.worker.on('exit', (code) => this.fail(slot, new Error(`decode worker exited with code ${code}`)));
      this.slots.push(slot);
    }
  }

  /** A dead worker fails its images; the rest carry on with the queue. */
  private fail(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    for (const pending of slot.running.values()) pending.reject(error);
    slot.running.clear();
  }
}
