// Durable atomic writes: a reader (or a resumed run) never sees a half-written file. Each write
// goes to a temporary file in the same directory, is flushed to disk, renamed over the target, and
// the directory entry is flushed too. Every byte count the system returns is checked: a short write
// (a full disk) or a failed flush fails with ERR_OUTPUT naming the path and the free space, and the
// temporary file is removed: nothing partial is ever committed. Paths that cannot be written fail at
// once with ERR_OUTPUT.
//
// Fault injection for the tests: IPCAE_TEST_KILL_AT_WRITE=N kills this process with SIGKILL at the
// Nth write step (steps: a temporary file half written, a temporary file complete but not renamed,
// renamed but the directory not yet flushed; and each rename of moveDurable).
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';
import { IpcaeError } from '../errors.js';
import { ensureDir, outputError } from './dirs.js';
import { totalLength, type Parts } from './bytes.js';
import { alive } from './lock.js';

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

/** Free bytes on the file system that holds `dir` (undefined where it cannot be asked). */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

/** ERR_OUTPUT for a write that did not complete: what was written, what was needed, what is free. */
function incompleteWrite(file: string, written: number, total: number, cause?: unknown): IpcaeError {
  const free = freeBytes(path.dirname(file));
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = code === 'ENOSPC' || cause === undefined ? 'the device is full' : ((cause as Error).message ?? String(cause));
  return new IpcaeError(
    'ERR_OUTPUT',
    `Cannot write ${file}: ${why} (${formatBytes(written)} of ${formatBytes(total)} written${free !== undefined ? `; ${formatBytes(free)} free` : ''}); nothing was committed, the file is as it was`,
    { cause },
  );
}

/**
 * Writes bytes[from, to) to fd, looping over short writes; a write that makes no progress fails.
 * done/total: the whole file's progress, for the message.
 */
function writeAll(fd: number, file: string, bytes: Uint8Array, from: number, to: number, done: number, total: number): void {
  let at = from;
  while (at < to) {
    let n: number;
    try {
      n = writeSync(fd, bytes, at, Math.min(to - at, 1 << 30));
    } catch (e) {
      throw incompleteWrite(file, done + at - from, total, e);
    }
    if (n <= 0) throw incompleteWrite(file, done + at - from, total);
    at += n;
  }
}

const STRAY_AGE_MS = 60_000;

/**
 * Removes '<file>.tmp-<pid>-<time>' left by a writer of the same file that was killed: its process
 * is gone from this host and the file has not changed for a minute (a live writer on another host
 * of a shared file system keeps its file).
 */
function removeOwnStrays(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.startsWith(prefix));
  } catch {
    return;
  }
  for (const f of names) {
    const m = /^(\d+)-\d+$/.exec(f.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      if (Date.now() - statSync(path.join(dir, f)).mtimeMs > STRAY_AGE_MS) rmSync(path.join(dir, f), { force: true });
    } catch {
      // gone already
    }
  }
}

/**
 * Writes `file` atomically and durably (temporary file, fsync, rename, fsync of the directory).
 * data: text, bytes, or a list of parts written one after another (a state of any size).
 */
export function writeAtomic(file: string, data: string | Uint8Array | Parts): void {
  const dir = path.dirname(file);
  ensureDir(dir);
  removeOwnStrays(file);
  const parts: Parts = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const total = totalLength(parts);
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      // the fault-injection step sits half-way through the bytes, once per file
      const half = Math.floor(total / 2);
      let done = 0;
      let stepped = false;
      for (const p of parts) {
        if (!stepped && done + p.length > half) {
          const cut = half - done;
          writeAll(fd, file, p, 0, cut, done, total);
          writeStep();
          stepped = true;
          writeAll(fd, file, p, cut, p.length, done + cut, total);
        } else writeAll(fd, file, p, 0, p.length, done, total);
        done += p.length;
      }
      if (!stepped) writeStep();
      try {
        fsyncSync(fd);
      } catch (e) {
        throw incompleteWrite(file, total, total, e);
      }
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
