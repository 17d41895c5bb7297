// Host-side image augmentation on HWC uint8 images, writing normalised floats straight into
// the batch buffer so that one pass does crop, flip and normalisation.
import type { RandomStream } from '../random.js';
import type { AugmentName } from './types.js';

export interface Normalization {
  /** Per-channel mean and std on the 0..255 pixel scale. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface Placement {
  /** Top-left of the crop window in padded coordinates (pad = 4 for 'standard'). */
  readonly dy: number;
  readonly dx: number;
  readonly flip: boolean;
}

export const STANDARD_PAD = 4;

/** Draws one image's augmentation; the identity placement when augmentation is off. */
export function drawPlacement(augment: AugmentName, rng: RandomStream | undefined): Placement {
  if (rng === undefined || augment === 'none') return { dy: STANDARD_PAD, dx: STANDARD_PAD, flip: false };
  if (augment === 'flip') return { dy: STANDARD_PAD, dx: STANDARD_PAD, flip: rng.uniform() < 0.5 };
  const dy = rng.int(2 * STANDARD_PAD + 1);
  const dx = rng.int(2 * STANDARD_PAD + 1);
  return { dy, dx, flip: rng.uniform() < 0.5 };
}

/**
 * Copies one H x W x C image into `out` at `offset`, as the window of the zero-padded image
 * starting at (dy, dx) (pad STANDARD_PAD), optionally mirrored, and normalised. Zero padding
 * is applied before normalisation, as torchvision's RandomCrop(padding=4) does.
 */
export function writeAugmented(
  pixels: Uint8Array,
  pixelOffset: number,
  shape: readonly [number, number, number],
  placement: Placement,
  norm: Normalization,
  out: Float32Array,
  offset: number,
): void {
  const [h, w, c] = shape;
  const scale = norm.std.map((s) => 1 / s);
  const padValue = norm.mean.map((m, ch) => -m * scale[ch]);
  for (let y = 0; y < h; y++) {
    const sy = y + placement.dy - STANDARD_PAD;
    const rowOut = offset + y * w * c;
    if (sy < 0 || sy >= h) {
      for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[rowOut + x * c + ch] = padValue[ch];
      continue;
    }
    const rowIn = pixelOffset + sy * w * c;
    for (let x = 0; x < w; x++) {
      const sx = (placement.flip ? w - 1 - x : x) + placement.dx - STANDARD_PAD;
      const o = rowOut + x * c;
      if (sx < 0 || sx >= w) {
        for (let ch = 0; ch < c; ch++) out[o + ch] = padValue[ch];
      } else {
        const i = rowIn + sx * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] = (pixels[i + ch] - norm.mean[ch]) * scale[ch];
      }
    }
  }
}
