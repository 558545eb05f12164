/**
 * Reading NumPy's `.npy` format (version 1, 2 and 3 headers): the dtype, the shape and the values, for the arrays an
 * image dataset holds. Anything else (Fortran order, objects, big-endian multi-byte types) is refused with a reason.
 */

/** An array read from a `.npy` file. Integer and float types keep their values; 64-bit integers become numbers. */
export interface NpyArray {
  /** NumPy's dtype string as written (`|u1`, `<f4`, `<i8`). */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
}

/** Why a `.npy` could not be read; the caller names the file. */
export class NpyError extends Error {
  override readonly name = 'NpyError';
}

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a `.npy` file's bytes. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw new NpyError('it is not a .npy array (no \\x93NUMPY header)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [headerLength, headerStart] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  if (major < 1 || major > 3) throw new NpyError(`its .npy version ${major} is not one netc reads (1 to 3)`);
  if (headerStart + headerLength > bytes.length) throw new NpyError('its header runs past the end of the file');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyError(`its header is not a NumPy array header: ${header.trim()}`);
  if (fortran === 'True') throw new NpyError('it is stored in Fortran order; save it with np.ascontiguousarray first');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpyError(`its shape (${shapeText}) is not a list of sizes`);
  const count = shape.reduce((p, d) => p * d, 1);
  const start = headerStart + headerLength;
  const body = bytes.subarray(start);
  const width = Number(descr.slice(2));
  if (body.length < count * width) throw new NpyError(`it holds ${body.length} bytes of data but a ${shape.join('x')} array of ${descr} needs ${count * width}`);
  if (width > 1 && descr[0] === '>') throw new NpyError(`its dtype ${descr} is big-endian; save it with .astype('${descr.replace('>', '<')}')`);
  // A copy aligned for the typed array; .npy data is not guaranteed aligned within the file or a zip member.
  const raw = body.slice(0, count * width).buffer;
  const kind = descr.slice(1);
  switch (kind) {
    case 'u1':
      return { dtype: descr, shape, data: new Uint8Array(raw) };
    case 'i1':
      return { dtype: descr, shape, data: new Int8Array(raw) };
    case 'b1':
      return { dtype: descr, shape, data: new Uint8Array(raw) };
    case 'u2':
      return { dtype: descr, shape, data: new Uint16Array(raw) };
    case 'i2':
      return { dtype: descr, shape, data: new Int16Array(raw) };
    case 'i4':
      return { dtype: descr, shape, data: new Int32Array(raw) };
    case 'u4':
      return { dtype: descr, shape, data: new Uint32Array(raw) };
    case 'f4':
      return { dtype: descr, shape, data: new Float32Array(raw) };
    case 'f8':
      return { dtype: descr, shape, data: new Float64Array(raw) };
    case 'i8':
    case 'u8': {
      const wide = kind === 'i8' ? new BigInt64Array(raw) : new BigUint64Array(raw);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(wide[i]!);
      return { dtype: descr, shape, data: out };
    }
    default:
      throw new NpyError(`its dtype ${descr} is not a number type netc reads (uint8, int8..int64, float32, float64)`);
  }
}

/** Writes a `.npy` (version 1) for a C-ordered array: for tests and for `netc predict`'s batches. */
export function writeNpy(dtype: '|u1' | '<f4' | '<i8' | '<i4', shape: readonly number[], values: ArrayLike<number>): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // NumPy pads the header with spaces and a newline so that the data starts on a 64-byte boundary.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const width = Number(dtype.slice(2));
  const out = new Uint8Array(total + values.length * width);
  out.set(magic, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const view = new DataView(out.buffer, total);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dtype === '|u1') view.setUint8(i, v);
    else if (dtype === '<f4') view.setFloat32(i * 4, v, true);
    else if (dtype === '<i4') view.setInt32(i * 4, v, true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  }
  return out;
}
