// Worker-thread entry: decodes the images the pool sends and posts the float pixels back.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { decodeImage, type DecodeTask } from './decode.js';

// One libvips thread per image: parallelism comes from the worker count, not from inside sharp.
sharp.concurrency(1);
sharp.cache(false);

parentPort!.on('message', async ({ id, task }: { id: number; task: DecodeTask }) => {
  const result = await decodeImage(task);
  const transfer = result.ok ? [result.pixels.buffer as ArrayBuffer] : [];
  parentPort!.postMessage({ id, result }, transfer);
});
