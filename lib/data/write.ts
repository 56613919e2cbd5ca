// Writing a table a user asked for (ipcae impute, ipcae export): Arrow IPC for .arrow/.feather/.ipc,
// Parquet (parquet-wasm, Snappy) for .parquet, CSV for .csv, TSV for .tsv, JSON Lines for .jsonl;
// atomically (a temporary file renamed into place), never half-written.
import { createRequire } from 'node:module';
import { tableToIPC, type Table } from 'apache-arrow';
import { IpcaeError } from '../errors.js';
import { writeAtomic } from '../files/atomic.js';
import { outputError } from '../files/dirs.js';
import { textColumn } from './columns.js';

export const WRITABLE = '.arrow, .feather or .ipc (Arrow IPC file), .parquet, .csv, .tsv or .jsonl';

/** Whether writeTable knows the file's format by its extension. */
export const isWritable = (file: string) => /\.(arrow|feather|ipc|parquet|csv|tsv|jsonl)$/i.test(file);

type ParquetWriter = { Table: { fromIPCStream(b: Uint8Array): unknown }; writeParquet(t: unknown): Uint8Array };

/** A JSON value of an Arrow cell: 64-bit integers as numbers when exact, else as strings. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // JSON has no NaN/Infinity
  return v ?? null;
}

const quote = (s: string, sep: string) => (/["\r\n]/.test(s) || s.includes(sep) ? `"${s.replace(/"/g, '""')}"` : s);

export function writeTable(file: string, table: Table): void {
  let bytes: string | Uint8Array;
  if (/\.(arrow|feather|ipc)$/i.test(file)) bytes = tableToIPC(table, 'file');
  else if (/\.parquet$/i.test(file)) {
    const pw = createRequire(import.meta.url)('parquet-wasm') as ParquetWriter;
    bytes = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')));
  } else if (/\.jsonl$/i.test(file)) {
    const names = table.schema.fields.map((f) => f.name);
    const cols = names.map((_, j) => table.getChildAt(j)!);
    const lines: string[] = [];
    for (let i = 0; i < table.numRows; i++) lines.push(JSON.stringify(Object.fromEntries(names.map((n, j) => [n, jsonValue(cols[j].get(i))]))));
    bytes = lines.join('\n') + (lines.length ? '\n' : '');
  }
  else if (/\.(csv|tsv)$/i.test(file)) {
    const sep = /\.tsv$/i.test(file) ? '\t' : ',';
    const names = table.schema.fields.map((f) => f.name);
    const cols = names.map((_, j) => textColumn(table.getChildAt(j)!));
    const lines = [names.map((n) => quote(n, sep)).join(sep)];
    for (let i = 0; i < table.numRows; i++) lines.push(cols.map((c) => (c[i] === null ? '' : quote(c[i]!, sep))).join(sep));
    bytes = lines.join('\n') + '\n';
  } else throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected an output file ending in ${WRITABLE} but received ${file}`);
  try {
    writeAtomic(file, bytes);
  } catch (e) {
    throw outputError(file, e);
  }
}
