// Decodes one image file with sharp into a normalised size x size x 3 float image, with the
// training (random-resized-crop + flip) or evaluation (resize + center crop) transform.
import sharp, { type Sharp } from 'sharp';
import { MiB, readBoundedAsync } from '../../files/boundedRead.js';
import { RandomStream, type RandomState } from '../../random.js';
import { evalPlan, randomResizedCropBox } from './geometry.js';

export type TransformMode = 'train' | 'eval' | 'eval-flip';

export interface DecodeTask {
  readonly path: string;
  readonly size: number;
  readonly mode: TransformMode;
  /** Per-image random stream, drawn on the main thread in batch order (absent for 'eval'). */
  readonly rngState?: RandomState;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export type DecodeResult = { ok: true; pixels: Float32Array } | { ok: false; error: string };

/** Bilinear, like torchvision's default interpolation. */
const KERNEL = 'linear' as const;

/** Read before decoding, so /dev/zero or a FIFO named like an image is refused: a photo is a few MB. */
export const IMAGE_LIMIT = { maxBytes: 64 * MiB, what: 'image' } as const;

async function transformedRgb(task: DecodeTask): Promise<Buffer> {
  const image = sharp(await readBoundedAsync(task.path, IMAGE_LIMIT));
  const { width, height } = await image.metadata();
  if (!width || !height) throw new Error('no image size in the header');
  const rng = task.rngState ? new RandomStream(task.rngState) : undefined;
  let pipeline: Sharp;
  if (task.mode === 'train' && rng) {
    const box = randomResizedCropBox(width, height, rng);
    pipeline = image.extract(box).resize(task.size, task.size, { fit: 'fill', kernel: KERNEL });
  } else {
    const plan = evalPlan(width, height, task.size);
    pipeline = image.resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: KERNEL }).extract(plan.crop);
  }
  if (task.mode !== 'eval' && rng && rng.uniform() < 0.5) pipeline = pipeline.flop();
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== task.size * task.size * 3) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${task.size}x${task.size}x3`);
  }
  return data;
}

export async function decodeImage(task: DecodeTask): Promise<DecodeResult> {
  try {
    const rgb = await transformedRgb(task);
    const pixels = new Float32Array(rgb.length);
    const scale = task.std.map((s) => 1 / s);
    for (let i = 0; i < rgb.length; i += 3) {
      pixels[i] = (rgb[i] - task.mean[0]) * scale[0];
      pixels[i + 1] = (rgb[i + 1] - task.mean[1]) * scale[1];
      pixels[i + 2] = (rgb[i + 2] - task.mean[2]) * scale[2];
    }
    return { ok: true, pixels };
  } catch (error) {
    return { ok: false, error: (error as Error).message.split('\n')[0] };
  }
}
