// Output directories: created by walking the path one component at a time (Node's recursive
// mkdir spins forever under /proc), checked to be writable, and cleared of temporary files that
// a killed process left behind.
import { accessSync, constants as fsConstants, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { IpcaeError } from '../errors.js';

/** ERR_OUTPUT naming the path and what the system said. */
export function outputError(file: string, e: unknown): IpcaeError {
  if (e instanceof IpcaeError) return e;
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === 'ENOSPC' ? 'no space left on the device' :
    err.code === 'EROFS' ? 'the file system is read-only' :
    err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' :
    err.code === 'ENOTDIR' ? 'a part of the path is not a directory' :
    (err.message ?? String(e));
  return new IpcaeError('ERR_OUTPUT', `Cannot write ${file}: ${why}`, { cause: e });
}

/** Makes sure `dir` exists as a writable directory, creating its missing parts one by one. */
export function ensureDir(dir: string): void {
  const abs = path.resolve(dir);
  const parts: string[] = [];
  for (let p = abs; ; p = path.dirname(p)) {
    parts.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of parts) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw outputError(dir, e);
      try {
        mkdirSync(p);
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(dir, e2);
      }
      st = statSync(p);
    }
    if (!st.isDirectory()) throw new IpcaeError('ERR_OUTPUT', `Cannot write ${dir}: ${p} is not a directory`);
  }
}

/** Removes '<name>.tmp-<pid>-<time>' files left by a killed writer; returns their names. */
export function removeStrayTemporaries(dir: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => /\.tmp-\d+-\d+$/.test(f));
  } catch {
    return [];
  }
  for (const f of names) rmSync(path.join(dir, f), { force: true });
  return names;
}

/**
 * Fails with ERR_OUTPUT unless `dir` could be created and written, without creating anything: the
 * parts that exist must be directories, and the deepest existing one writable. (A refused run
 * leaves no empty directory behind.)
 */
export function checkWritableDir(dir: string): void {
  const abs = path.resolve(dir);
  let p = abs;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a part above is a file; walking up finds it and names it
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw outputError(dir, e);
      if (path.dirname(p) === p) throw outputError(dir, e);
      p = path.dirname(p);
      continue;
    }
    if (!st.isDirectory()) throw new IpcaeError('ERR_OUTPUT', `Cannot write ${dir}: ${p} is not a directory`);
    try {
      accessSync(p, fsConstants.W_OK | fsConstants.X_OK);
    } catch (e) {
      throw outputError(dir, e);
    }
    // a path under /proc or /sys (or another pseudo file system) cannot hold new directories
    if (p !== abs && /^\/(proc|sys)(\/|$)/.test(p)) throw new IpcaeError('ERR_OUTPUT', `Cannot write ${dir}: ${p} cannot hold new directories`);
    return;
  }
}
