/**
 * Data augmentation on the CPU, on a gathered batch before it becomes a tensor: random horizontal flips
 * (torchvision's RandomHorizontalFlip, p = 0.5) and random crops of the image padded with `crop` zero pixels on every
 * side (RandomCrop(size, padding=crop)), i.e. a shift of up to `crop` pixels each way with zeros coming in. Each
 * batch draws from its own generator, seeded from the epoch's seed and the batch's index, so a run resumed inside
 * an epoch augments its remaining batches exactly as the uninterrupted run would have.
 */
import { Rng } from './random.js';

/** What to do to each training image. */
export interface Augmentation {
  readonly flip: boolean;
  /** Pixels of zero padding before the random crop; 0 for none. */
  readonly crop: number;
}

/** True when the augmentation changes anything. */
export function augments(a: Augmentation): boolean {
  return a.flip || a.crop > 0;
}

/** The generator for batch `batch` of an epoch whose augmentation seed is `epochSeed`. */
export function batchRng(epochSeed: number, batch: number): Rng {
  return Rng.fromSeed((epochSeed ^ Math.imul(batch + 1, 0x9e3779b1)) >>> 0);
}

/**
 * Augments `count` channels-last images of rows x cols x channels in `batch`, in place. `scratch` holds at least one
 * image (reused between calls to spare the allocation).
 */
export function augmentBatch(
  batch: Float32Array,
  count: number,
  shape: { readonly rows: number; readonly cols: number; readonly channels: number },
  a: Augmentation,
  rng: Rng,
  scratch: Float32Array = new Float32Array(shape.rows * shape.cols * shape.channels),
): void {
  const { rows, cols, channels } = shape;
  const rowLength = cols * channels;
  const per = rows * rowLength;
  for (let n = 0; n < count; n++) {
    const flip = a.flip && rng.nextBelow(2) === 1;
    const dy = a.crop > 0 ? rng.nextBelow(2 * a.crop + 1) - a.crop : 0;
    const dx = a.crop > 0 ? rng.nextBelow(2 * a.crop + 1) - a.crop : 0;
    if (!flip && dx === 0 && dy === 0) continue;
    const image = batch.subarray(n * per, (n + 1) * per);
    scratch.set(image);
    // Output pixel (y, x) reads input (y + dy, x' + dx), x' the flipped column; outside the image it is 0. The
    // columns that read inside the image form one run per row: copied in one call when unflipped.
    const x0 = flip ? Math.max(0, dx) : Math.max(0, -dx);
    const x1 = flip ? Math.min(cols, cols + dx) : Math.min(cols, cols - dx);
    for (let y = 0; y < rows; y++) {
      const sy = y + dy;
      const out = y * rowLength;
      if (sy < 0 || sy >= rows || x0 >= x1) {
        image.fill(0, out, out + rowLength);
        continue;
      }
      image.fill(0, out, out + x0 * channels);
      image.fill(0, out + x1 * channels, out + rowLength);
      const inRow = sy * rowLength;
      if (!flip) {
        image.set(scratch.subarray(inRow + (x0 + dx) * channels, inRow + (x1 + dx) * channels), out + x0 * channels);
      } else if (channels === 1) {
        for (let x = x0, sx = cols - 1 - x0 + dx; x < x1; x++, sx--) image[out + x] = scratch[inRow + sx]!;
      } else {
        for (let x = x0, sx = cols - 1 - x0 + dx; x < x1; x++, sx--) {
          for (let c = 0; c < channels; c++) image[out + x * channels + c] = scratch[inRow + sx * channels + c]!;
        }
      }
    }
  }
}
