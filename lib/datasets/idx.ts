// IDX files (MNIST, Fashion-MNIST), plain or gzipped.
import { readRawFile } from './raw.js';
import { IpcaeError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function readIdx(file: string): IdxArray {
  const buf = readRawFile(file, 'IDX');
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08)
    throw new IpcaeError('ERR_DATA', `${file}: not an IDX file of unsigned bytes (expected magic 0x0000080N)`);
  const nd = buf[3];
  if (buf.length < 4 + 4 * nd) throw new IpcaeError('ERR_DATA', `${file}: truncated IDX header`);
  const dims = Array.from({ length: nd }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const n = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * nd;
  if (buf.length - start !== n)
    throw new IpcaeError('ERR_DATA', `${file}: expected ${n} data bytes for dims [${dims.join(', ')}] but found ${buf.length - start} (truncated file?)`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, n) };
}
