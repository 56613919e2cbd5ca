// Durable atomic writes: a reader (or a resumed run) never sees a half-written file. Each write
// goes to a temporary file in the same directory, is flushed to disk, renamed over the target, and
// the directory entry is flushed too. Paths that cannot be written fail at once with ERR_OUTPUT.
//
// Fault injection for the tests: IPCAE_TEST_KILL_AT_WRITE=N kills this process with SIGKILL at the
// Nth write step (steps: a temporary file half written, a temporary file complete but not renamed,
// renamed but the directory not yet flushed; and each rename of moveDurable).
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureDir, outputError } from './dirs.js';

let writeSteps = 0;
const killAt = Number(process.env.IPCAE_TEST_KILL_AT_WRITE ?? 0);

/** A point between two writes: where the fault-injection hook may kill the process. */
export function writeStep(): void {
  writeSteps++;
  if (killAt > 0 && writeSteps === killAt) process.kill(process.pid, 'SIGKILL');
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic there
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `file` atomically and durably (temporary file, fsync, rename, fsync of the directory). */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  ensureDir(dir);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const half = bytes.length >> 1;
      writeSync(fd, bytes, 0, half);
      writeStep();
      writeSync(fd, bytes, half, bytes.length - half);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    writeStep();
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw outputError(file, e);
  }
  writeStep();
  fsyncDir(dir);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Renames durably (the directory is flushed after). */
export function moveDurable(from: string, to: string): void {
  writeStep();
  try {
    renameSync(from, to);
  } catch (e) {
    throw outputError(to, e);
  }
  fsyncDir(path.dirname(to));
}
