// One writer per run directory: a lock (proper-lockfile: a '<dir>.lock' directory whose mtime the
// holder refreshes, so a lock left behind goes stale after 20 s). The holder's pid and host are
// written beside it ('<dir>.lock-holder.json'; proper-lockfile removes a stale lock with rmdir, so
// nothing may live inside it), so that a lock left by a process that died on this host (SIGKILL, a
// crash) is taken over at once instead of after 20 s.
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import lockfile from 'proper-lockfile';
import { IpcaeError } from '../errors.js';

const lockDir = (dir: string) => `${dir}.lock`;
const holderFile = (dir: string) => `${dir}.lock-holder.json`;

function holder(dir: string): { pid: number; host: string } | undefined {
  try {
    return JSON.parse(readFileSync(holderFile(dir), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const STALE_MS = 20_000;

async function tryLock(dir: string, waitMs: number) {
  return lockfile.lock(dir, {
    stale: STALE_MS,
    update: 5_000,
    realpath: false,
    // waiting (a requeued Slurm task whose previous attempt was killed on another node): retry
    // until the old lock has gone stale
    retries: waitMs > 0 ? { retries: Math.ceil(waitMs / 2_000), factor: 1, minTimeout: 2_000, maxTimeout: 2_000 } : 0,
    // the default throws from a timer (killing the process) when a refresh fails; a warning is enough
    onCompromised: (e) => process.emitWarning(`ipcae: the lock on ${dir} could not be refreshed (${e.message})`),
  });
}

/**
 * Locks `dir` (which must exist) for this process; resolves to the function that releases it.
 * waitMs: how long to keep trying while another process holds it (0: refuse at once).
 */
export async function lockDirectory(given: string, waitMs = 0): Promise<() => Promise<void>> {
  // The lock belongs to the directory, not to the path that names it: two paths to one directory
  // (a symlink, '..') take the same lock.
  let dir = given;
  try {
    dir = realpathSync(given);
  } catch {
    // not there: lockfile says so below
  }
  let release: () => Promise<void>;
  try {
    try {
      release = await tryLock(dir, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const h = holder(dir);
      if (!h || h.host !== os.hostname() || alive(h.pid)) {
        if (waitMs <= 0) throw e;
        release = await tryLock(dir, waitMs);
      } else {
        rmSync(lockDir(dir), { recursive: true, force: true }); // its holder died on this host
        release = await tryLock(dir, 0);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const h = holder(dir);
    if (err.code === 'ELOCKED')
      throw new IpcaeError(
        'ERR_OUTPUT',
        `${given} is being written by another ipcae process${h ? ` (pid ${h.pid} on ${h.host})` : ''}; wait for it to finish or choose another --out (lock: ${lockDir(dir)})`,
        { cause: e },
      );
    throw new IpcaeError('ERR_OUTPUT', `Cannot lock ${given}: ${err.message}`, { cause: e });
  }
  try {
    writeFileSync(holderFile(dir), JSON.stringify({ pid: process.pid, host: os.hostname() }));
  } catch {
    // the lock holds without it; only the takeover after a crash needs it
  }
  return async () => {
    rmSync(holderFile(dir), { force: true });
    await release();
  };
}
