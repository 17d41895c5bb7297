// Crop geometry of the ImageNet transforms, as pure functions of the image size (and a random
// stream for training), so that they can be tested without decoding anything.
import type { RandomStream } from '../../random.js';

export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export const RRC_SCALE: readonly [number, number] = [0.08, 1];
export const RRC_RATIO: readonly [number, number] = [3 / 4, 4 / 3];
/** Eval resizes the shorter side to size / 0.875 (256 for 224) before the center crop. */
export const EVAL_RESIZE_RATIO = 0.875;

/** Python's round(): halves go to the even neighbour, so offsets match torchvision's exactly. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * torchvision's RandomResizedCrop box: up to 10 tries of an area share in `scale` and a
 * log-uniform aspect ratio in `ratio`; if none fits, the largest center crop within `ratio`.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: RandomStream,
  scale: readonly [number, number] = RRC_SCALE,
  ratio: readonly [number, number] = RRC_RATIO,
): CropBox {
  const area = width * height;
  const [logLow, logHigh] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * rng.uniform());
    const aspect = Math.exp(logLow + (logHigh - logLow) * rng.uniform());
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(width / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(height * ratio[1]);
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

export interface EvalPlan {
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly crop: CropBox;
}

/**
 * Resize so the shorter side is int(size / 0.875) and the longer keeps the aspect (truncated,
 * as torchvision's Resize does), then crop size x size from the center.
 */
export function evalPlan(width: number, height: number, size: number): EvalPlan {
  const shorter = Math.max(size, Math.floor(size / EVAL_RESIZE_RATIO + 1e-9));
  const resizeWidth = width <= height ? shorter : Math.max(size, Math.floor((shorter * width) / height));
  const resizeHeight = width <= height ? Math.max(size, Math.floor((shorter * height) / width)) : shorter;
  return {
    resizeWidth,
    resizeHeight,
    // torchvision's CenterCrop rounds the offset: int(round((H - size) / 2))
    crop: { left: roundHalfEven((resizeWidth - size) / 2), top: roundHalfEven((resizeHeight - size) / 2), width: size, height: size },
  };
}
