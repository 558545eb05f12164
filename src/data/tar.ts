/**
 * A small reader of (ustar and GNU) tar archives held in memory: regular files only, by path. CIFAR-10's binary
 * release is one such archive; nothing is extracted to disk, so no path in an archive can write outside the cache.
 */

/** Why an archive could not be read. */
export class TarError extends Error {
  override readonly name = 'TarError';
}

const block = 512;

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function octal(bytes: Uint8Array, what: string): number {
  const field = text(bytes).trim();
  if (!/^[0-7]*$/.test(field)) throw new TarError(`a header's ${what} field is not an octal number ('${field}')`);
  return field === '' ? 0 : parseInt(field, 8);
}

/** The regular files of a tar archive, by path (`cifar-10-batches-bin/data_batch_1.bin`), as views into `bytes`. */
export function readTar(bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let at = 0;
  let longName: string | null = null;
  while (at + block <= bytes.length) {
    const header = bytes.subarray(at, at + block);
    if (header.every((b) => b === 0)) break;
    const stored = octal(header.subarray(148, 156), 'checksum');
    let sum = 0;
    for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== stored) throw new TarError(`the header at byte ${at} fails its checksum (the archive is damaged or not a tar file)`);
    const size = octal(header.subarray(124, 136), 'size');
    const type = String.fromCharCode(header[156]!);
    const prefix = text(header.subarray(345, 500));
    const name = longName ?? (prefix !== '' && text(header.subarray(257, 263)).startsWith('ustar') ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    const start = at + block;
    if (start + size > bytes.length) throw new TarError(`'${name}' runs past the end of the archive (it is truncated)`);
    const body = bytes.subarray(start, start + size);
    longName = null;
    if (type === 'L') longName = text(body);
    else if (type === '0' || type === '\0') files.set(name, body);
    at = start + Math.ceil(size / block) * block;
  }
  return files;
}

/** A tar archive of `files` (regular files, ustar headers): for tests that serve a small CIFAR-10. */
export function writeTar(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const [name, body] of files) {
    const header = new Uint8Array(block);
    header.set(encoder.encode(name).subarray(0, 100), 0);
    header.set(encoder.encode('0000644\0'), 100);
    header.set(encoder.encode('0000000\0'), 108);
    header.set(encoder.encode('0000000\0'), 116);
    header.set(encoder.encode(`${body.length.toString(8).padStart(11, '0')}\0`), 124);
    header.set(encoder.encode('00000000000\0'), 136);
    header[156] = 0x30;
    header.set(encoder.encode('ustar\0'), 257);
    header.set(encoder.encode('00'), 263);
    header.fill(0x20, 148, 156);
    const sum = header.reduce((s, b) => s + b, 0);
    header.set(encoder.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    parts.push(header, body, new Uint8Array((block - (body.length % block)) % block));
  }
  parts.push(new Uint8Array(block * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
