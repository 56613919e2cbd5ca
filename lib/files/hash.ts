// Content hashes of input files (recorded in run manifests and dataset caches): read in chunks, so
// a file of any size is hashed (readFileSync stops at 2 GiB) without holding it in memory.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

const CHUNK = 16 * 1024 * 1024;

export function sha256File(file: string, chunk = CHUNK): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunk);
    for (let n = readSync(fd, buf, 0, chunk, null); n > 0; n = readSync(fd, buf, 0, chunk, null)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** The same off the event loop's way: one chunk per turn (a large table file never blocks it for long). */
export async function sha256FileAsync(file: string, chunk = CHUNK): Promise<string> {
  const h = createHash('sha256');
  const f = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunk);
    for (;;) {
      const { bytesRead } = await f.read(buf, 0, chunk, null);
      if (bytesRead <= 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await f.close();
  }
  return h.digest('hex');
}
