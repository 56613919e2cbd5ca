// Reading and preparing tables without blocking the event loop: files and bytes go to a worker
// thread (worker: read-worker.ts); in-memory tables are prepared in slices on this thread.
import { statSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { tableFromIPC, type Table } from 'apache-arrow';
import { IpcaeError, type ErrorCode } from '../errors.js';
import { packageRoot } from '../files/package-root.js';
import { readTableSync, type ReadResult, type TableInput } from './read.js';
import { prepareTableAsync, type PreparedTable, type TablePrepOptions } from './table.js';


/** Files smaller than this are read on the calling thread (a worker costs ~0.1 s to start). */
export const WORKER_THRESHOLD_BYTES = 2 << 20;

export type ReadMeta = Omit<ReadResult, 'table'> & { rows: number };

/** How long an idle reader thread is kept for the next read (it is unref'd: it never keeps the process alive). */
export const WORKER_IDLE_MS = 10_000;

/**
 * Reader threads are reused: creating one costs little in a small process but has been seen to
 * stall the caller ~0.1 s in a large one, and a kept thread keeps parquet-wasm compiled. One idle
 * thread is kept; concurrent reads get their own.
 */
let idleWorker: { w: Worker; timer: NodeJS.Timeout; onExit: () => void } | undefined;

function takeWorker(): Worker {
  if (idleWorker) {
    const { w, timer, onExit } = idleWorker;
    clearTimeout(timer);
    w.off('exit', onExit);
    idleWorker = undefined;
    w.ref();
    return w;
  }
  return new Worker(path.join(packageRoot(), 'dist', 'lib', 'tables', 'read-worker.js'), { workerData: { ipcaeReadWorker: true } });
}

function releaseWorker(w: Worker): void {
  w.unref();
  if (idleWorker) {
    void w.terminate();
    return;
  }
  const timer = setTimeout(() => {
    if (idleWorker?.w === w) idleWorker = undefined;
    void w.terminate();
  }, WORKER_IDLE_MS);
  timer.unref();
  // A thread that ends while idle is forgotten, never handed a job it cannot answer.
  const onExit = () => {
    if (idleWorker?.w === w) {
      clearTimeout(idleWorker.timer);
      idleWorker = undefined;
    }
  };
  w.once('exit', onExit);
  idleWorker = { w, timer, onExit };
}

const cancelled = () => new IpcaeError('ERR_CANCELLED', 'the table read was cancelled (signal aborted): nothing was read');

/**
 * Runs a read on a reader thread. An aborted `signal` stops the thread at once (a parse of a huge
 * file is never waited for) and rejects with ERR_CANCELLED.
 */
function inWorker<T>(job: object, transfer: ArrayBuffer[] = [], signal?: AbortSignal): Promise<T> {
  const site = new Error();
  if (signal?.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const w = takeWorker();
    const onAbort = () => {
      cleanup();
      void w.terminate();
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: { ok: boolean; code?: ErrorCode; message?: string } & T) => {
      cleanup();
      releaseWorker(w);
      if (m.ok) resolve(m);
      else {
        const err = new IpcaeError(m.code ?? 'ERR_INTERNAL', m.message ?? 'the table reader failed');
        err.stack = `${err.name} [${err.code}]: ${err.message}\n${site.stack?.split('\n').slice(1).join('\n')}`;
        reject(err);
      }
    };
    const onError = (e: Error) => {
      cleanup();
      void w.terminate();
      reject(new IpcaeError('ERR_INTERNAL', `the table reader thread failed: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new IpcaeError('ERR_OUT_OF_MEMORY', `the table reader thread stopped (exit ${code}) before it answered: out of memory?`));
    };
    w.on('message', onMessage);
    w.once('error', onError);
    w.once('exit', onExit);
    w.postMessage(job, transfer);
  });
}

const big = (input: TableInput) => {
  if (typeof input === 'string') {
    try {
      return statSync(input).size >= WORKER_THRESHOLD_BYTES;
    } catch {
      return false; // readTableSync names the problem
    }
  }
  return input instanceof Uint8Array && input.byteLength >= WORKER_THRESHOLD_BYTES;
};

/**
 * Reads any table input and prepares it for the trainer, off the event loop. signal: stops the
 * read (ERR_CANCELLED) within moments, however large the file.
 */
export async function readAndPrepare(input: TableInput, o: TablePrepOptions, signal?: AbortSignal): Promise<{ prep: PreparedTable; meta: ReadMeta }> {
  if (signal?.aborted) throw cancelled();
  if (big(input)) {
    const job = typeof input === 'string' ? { op: 'prepare', file: input, options: o } : { op: 'prepare', bytes: input, options: o };
    // Bytes are copied for the worker (structured clone): the caller keeps its buffer.
    return inWorker<{ prep: PreparedTable; meta: ReadMeta }>(job, [], signal);
  }
  const r = readTableSync(input);
  const prep = await prepareTableAsync(r.table, o);
  return { prep, meta: { format: r.format, file: r.file, dropped: r.dropped, rows: r.table.numRows } };
}

/** Reads any table input as an Arrow table, off the event loop for large files (signal: as readAndPrepare's). */
export async function readTableAsync(input: TableInput, opts: { signal?: AbortSignal } = {}): Promise<{ table: Table; meta: ReadMeta }> {
  if (opts.signal?.aborted) throw cancelled();
  if (big(input)) {
    const job = typeof input === 'string' ? { op: 'read', file: input } : { op: 'read', bytes: input };
    const m = await inWorker<{ ipc: Uint8Array; meta: ReadMeta }>(job, [], opts.signal);
    return { table: tableFromIPC(m.ipc), meta: m.meta };
  }
  const r = readTableSync(input);
  return { table: r.table, meta: { format: r.format, file: r.file, dropped: r.dropped, rows: r.table.numRows } };
}
