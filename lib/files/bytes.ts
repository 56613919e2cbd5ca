// Byte sequences held as several parts (Buffers): saved states and checkpoints of any size, never
// copied into one Buffer (Node caps a Buffer at 4 GiB, readFileSync a file at 2 GiB) and never held
// twice. A part list is read, hashed and written as one sequence.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type Parts = readonly Uint8Array[];

/** The bytes as parts: one Uint8Array is a list of one. */
export const asParts = (b: Uint8Array | Parts): Parts => (b instanceof Uint8Array ? [b] : b);

export const totalLength = (p: Parts): number => p.reduce((n, b) => n + b.length, 0);

export function sha256Parts(p: Parts): string {
  const h = createHash('sha256');
  for (const b of p) h.update(b);
  return h.digest('hex');
}

/** Bytes [from, to) of the sequence as parts (views, no copy). */
export function sliceParts(p: Parts, from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const b of p) {
    const a = Math.max(from - at, 0);
    const e = Math.min(to - at, b.length);
    if (e > a) out.push(b.subarray(a, e));
    at += b.length;
    if (at >= to) break;
  }
  return out;
}

/** Bytes [from, to) copied into one Buffer (for small ranges: headers, trailers). */
export const readRange = (p: Parts, from: number, to: number): Buffer => Buffer.concat(sliceParts(p, from, to));

/** The index of the first `byte` at or after `from`, or -1. */
export function indexOfByte(p: Parts, byte: number, from = 0, limit = Infinity): number {
  let at = 0;
  for (const b of p) {
    if (at + b.length > from) {
      const i = b.indexOf(byte, Math.max(from - at, 0));
      if (i >= 0) return at + i <= limit ? at + i : -1;
    }
    at += b.length;
    if (at > limit) return -1;
  }
  return -1;
}

/** One Buffer when the parts fit in one (a view when there is one part). */
export function joinParts(p: Parts): Buffer {
  if (p.length === 1) return Buffer.from(p[0].buffer, p[0].byteOffset, p[0].byteLength);
  return Buffer.concat(p);
}

// IPCAE_TEST_STATE_CHUNK=<bytes>: the tests read small files in many parts, as large ones are
const readChunk = () => (Number(process.env.IPCAE_TEST_STATE_CHUNK) > 0 ? Number(process.env.IPCAE_TEST_STATE_CHUNK) : 256 * 1024 * 1024);

/** A file of any size as parts of at most 256 MiB. */
export function readFileParts(file: string): Buffer[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const parts: Buffer[] = [];
    for (let at = 0; at < size; ) {
      const b = Buffer.allocUnsafe(Math.min(readChunk(), size - at));
      let got = 0;
      while (got < b.length) {
        const n = readSync(fd, b, got, b.length - got, at + got);
        if (n === 0) break;
        got += n;
      }
      if (got === 0) break;
      parts.push(got === b.length ? b : b.subarray(0, got));
      at += got;
    }
    return parts;
  } finally {
    closeSync(fd);
  }
}
