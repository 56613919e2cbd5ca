// The worker thread behind read-async.ts: reads a table file (decompression, Parquet, CSV parsing)
// and prepares it, so that none of that work blocks the caller's event loop. Results come back as
// transferred buffers (no copy). One job at a time; the thread is reused for the next.
import { parentPort, workerData } from 'node:worker_threads';
import { tableToIPC } from 'apache-arrow';
import { readTableBytes, readTableFile } from './read.js';
import { prepareTable, type TablePrepOptions } from './table.js';

interface Job {
  op: 'read' | 'prepare';
  file?: string;
  bytes?: Uint8Array;
  name?: string;
  options?: TablePrepOptions;
}

function run(job: Job) {
  const r = job.file !== undefined ? readTableFile(job.file) : readTableBytes(job.bytes!, job.name ?? 'the bytes');
  const meta = { format: r.format, file: r.file, dropped: r.dropped, rows: r.table.numRows };
  if (job.op === 'read') {
    const ipc = tableToIPC(r.table, 'stream');
    parentPort!.postMessage({ ok: true, meta, ipc }, [ipc.buffer as ArrayBuffer]);
    return;
  }
  const prep = prepareTable(r.table, job.options ?? {});
  const transfer: ArrayBuffer[] = [];
  for (const s of Object.values(prep.splits)) {
    transfer.push(s.x.buffer as ArrayBuffer);
    if (s.y) transfer.push(s.y.buffer as ArrayBuffer);
  }
  parentPort!.postMessage({ ok: true, meta, prep }, transfer);
}

if (parentPort && workerData?.ipcaeReadWorker) {
  parentPort.on('message', (job: Job) => {
    try {
      run(job);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      parentPort!.postMessage({ ok: false, code: err.code ?? 'ERR_INTERNAL', message: err.message ?? String(e) });
    }
  });
}
