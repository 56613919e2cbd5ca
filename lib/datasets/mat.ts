// A reader for level-5 MAT files (what scikit-feature's COIL20.mat and the ISOLET .mat files are):
// numeric 2-D matrices, compressed (miCOMPRESSED) or not, any numeric storage class, as float64.
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { IpcaeError } from '../errors.js';

export interface MatMatrix {
  rows: number;
  cols: number;
  /** Row-major values (converted from MATLAB's column-major order). */
  data: Float64Array;
}

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15 };

function readNumeric(buf: Buffer, type: number, offset: number, bytes: number, file: string): Float64Array {
  const size = { [MI.INT8]: 1, [MI.UINT8]: 1, [MI.INT16]: 2, [MI.UINT16]: 2, [MI.INT32]: 4, [MI.UINT32]: 4, [MI.SINGLE]: 4, [MI.DOUBLE]: 8, [MI.INT64]: 8, [MI.UINT64]: 8 }[type];
  if (!size) throw new IpcaeError('ERR_DATA', `${file}: unsupported MAT data type ${type}`);
  const n = bytes / size;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = offset + i * size;
    switch (type) {
      case MI.INT8: out[i] = buf.readInt8(o); break;
      case MI.UINT8: out[i] = buf.readUInt8(o); break;
      case MI.INT16: out[i] = buf.readInt16LE(o); break;
      case MI.UINT16: out[i] = buf.readUInt16LE(o); break;
      case MI.INT32: out[i] = buf.readInt32LE(o); break;
      case MI.UINT32: out[i] = buf.readUInt32LE(o); break;
      case MI.SINGLE: out[i] = buf.readFloatLE(o); break;
      case MI.DOUBLE: out[i] = buf.readDoubleLE(o); break;
      case MI.INT64: out[i] = Number(buf.readBigInt64LE(o)); break;
      case MI.UINT64: out[i] = Number(buf.readBigUInt64LE(o)); break;
    }
  }
  return out;
}

/** Sub-element tag: (type, bytes, data offset, next offset), small-element format included. */
function tag(buf: Buffer, p: number, file: string) {
  if (p + 8 > buf.length) throw new IpcaeError('ERR_DATA', `${file}: truncated MAT element at byte ${p}`);
  const first = buf.readUInt32LE(p);
  if (first >>> 16 !== 0) {
    const type = first & 0xffff,
      bytes = first >>> 16;
    return { type, bytes, data: p + 4, next: p + 8 };
  }
  const bytes = buf.readUInt32LE(p + 4);
  if (p + 8 + bytes > buf.length) throw new IpcaeError('ERR_DATA', `${file}: truncated MAT element at byte ${p}`);
  return { type: first, bytes, data: p + 8, next: p + 8 + Math.ceil(bytes / 8) * 8 };
}

function parseMatrix(buf: Buffer, file: string): [string, MatMatrix] | undefined {
  // buf holds one miMATRIX payload: flags, dims, name, real part
  const flags = tag(buf, 0, file);
  const cls = buf.readUInt32LE(flags.data) & 0xff;
  const dimsTag = tag(buf, flags.next, file);
  const dims = Array.from({ length: dimsTag.bytes / 4 }, (_, i) => buf.readInt32LE(dimsTag.data + 4 * i));
  const nameTag = tag(buf, dimsTag.next, file);
  const name = buf.toString('latin1', nameTag.data, nameTag.data + nameTag.bytes);
  if (cls < 6 || cls > 15 || dims.length !== 2) return undefined; // not a numeric 2-D matrix
  const re = tag(buf, nameTag.next, file);
  const colMajor = readNumeric(buf, re.type, re.data, re.bytes, file);
  const [rows, cols] = dims;
  if (colMajor.length !== rows * cols) throw new IpcaeError('ERR_DATA', `${file}: variable ${name} holds ${colMajor.length} values for ${rows}×${cols}`);
  const data = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) data[r * cols + c] = colMajor[c * rows + r];
  return [name, { rows, cols, data }];
}

export function readMat(file: string): Record<string, MatMatrix> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `Cannot read MAT file ${file}: ${(e as Error).message}`);
  }
  if (buf.length < 128 || buf.readUInt16LE(126) !== 0x4d49)
    throw new IpcaeError('ERR_DATA', `${file}: not a level-5 MAT file (little-endian 'IM' marker missing)`);
  const out: Record<string, MatMatrix> = {};
  let p = 128;
  while (p + 8 <= buf.length) {
    const t = tag(buf, p, file);
    let payload = buf.subarray(t.data, t.data + t.bytes);
    let type = t.type;
    if (type === MI.COMPRESSED) {
      try {
        payload = inflateSync(payload);
      } catch (e) {
        throw new IpcaeError('ERR_DATA', `${file}: corrupt compressed element (${(e as Error).message})`);
      }
      const inner = tag(payload, 0, file);
      type = inner.type;
      payload = payload.subarray(inner.data, inner.data + inner.bytes);
    }
    if (type === MI.MATRIX) {
      const m = parseMatrix(payload, file);
      if (m) out[m[0]] = m[1];
    }
    // compressed elements are not padded to 8 bytes
    p = t.type === MI.COMPRESSED ? t.data + t.bytes : t.next;
  }
  return out;
}
