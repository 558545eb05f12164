/**
 * Copies a box of `extent` values from `src` (shape `srcShape`, the box starting at `srcStart`) into `dst` (shape
 * `dstShape`, at `dstStart`); both flat and row-major, with at least one axis. The box is moved as runs that are
 * contiguous in both arrays: the trailing axes where the box spans both arrays whole, plus the axis before them.
 * A slice is the box at `begin` of the input into all of the output; a padding, all of the input into the output
 * at the leading padding.
 */
export function copyBox(
  src: Float32Array, srcShape: readonly number[], srcStart: readonly number[],
  dst: Float32Array, dstShape: readonly number[], dstStart: readonly number[], extent: readonly number[],
): void {
  const rank = extent.length;
  // The innermost axis the box does not span whole in both arrays: runs below it are contiguous.
  let cut = rank - 1;
  while (cut > 0 && srcStart[cut] === 0 && dstStart[cut] === 0 && extent[cut] === srcShape[cut] && extent[cut] === dstShape[cut]) cut--;
  const srcStrides = stridesOf(srcShape);
  const dstStrides = stridesOf(dstShape);
  const run = extent[cut]! * srcStrides[cut]!;
  const copy = (d: number, from: number, to: number): void => {
    if (d === cut) {
      const start = from + srcStart[d]! * srcStrides[d]!;
      dst.set(src.subarray(start, start + run), to + dstStart[d]! * dstStrides[d]!);
      return;
    }
    for (let i = 0; i < extent[d]!; i++) copy(d + 1, from + (srcStart[d]! + i) * srcStrides[d]!, to + (dstStart[d]! + i) * dstStrides[d]!);
  };
  copy(0, 0, 0);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}
