// Reads a raw dataset file whole, undoing gzip or Unix compress (.Z) when its magic says so, with
// errors that name the file: unreadable, empty, or a corrupt compressed stream.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { IpcaeError } from '../errors.js';
import { isUnixCompressed, uncompressZ } from './unix-compress.js';

/** `what` names the kind of file in the message when it cannot be read ("IDX", "Mice Protein" …). */
export function readRawFile(file: string, what: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `Cannot read ${what} file ${file}: ${(e as Error).message}`);
  }
  if (buf.length === 0) throw new IpcaeError('ERR_DATA', `${file}: the file is empty`);
  if (isUnixCompressed(buf)) {
    const out = uncompressZ(buf, file);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new IpcaeError('ERR_DATA', `${file}: truncated or corrupt gzip stream (${(e as Error).message})`);
    }
  }
  return buf;
}
