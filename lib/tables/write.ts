// Writing a table a user asked for (ipcae impute, ipcae export): Arrow IPC for .arrow/.feather/.ipc,
// Parquet (parquet-wasm, Snappy) for .parquet, CSV for .csv, TSV for .tsv, JSON Lines for .jsonl;
// atomically (a temporary file renamed into place), never half-written.
import { createRequire } from 'node:module';
import { tableToIPC, type Table } from 'apache-arrow';
import { IpcaeError } from '../errors.js';
import { writeAtomic } from '../files/atomic.js';
import { outputError } from '../files/dirs.js';
import { columnPolicy, textColumn } from './columns.js';

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

// A text cell a spreadsheet would read as a formula (OWASP "CSV injection"): it starts with = + - @,
// a tab or a carriage return (or their full-width forms). Such cells get a leading ' (a spreadsheet
// shows the text; pandas and R read the ' as part of it).
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
export const escapeFormula = (s: string) => (FORMULA_START.test(s) ? `'${s}` : s);

export interface WriteTableOptions {
  /**
   * CSV/TSV: text cells and column names that a spreadsheet would run as formulas get a leading '
   * ('escape', the default), or are written as they are ('raw'). Numbers are never changed.
   */
  formulas?: 'escape' | 'raw';
}

export function writeTable(file: string, table: Table, opts: WriteTableOptions = {}): void {
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
    const raw = opts.formulas === 'raw';
    const cell = (text: string, isText: boolean) => quote(isText && !raw ? escapeFormula(text) : text, sep);
    const names = table.schema.fields.map((f) => f.name);
    const isText = table.schema.fields.map((f) => columnPolicy(f.type).kind !== 'numeric');
    const cols = names.map((_, j) => textColumn(table.getChildAt(j)!));
    const lines = [names.map((n) => cell(n, true)).join(sep)];
    for (let i = 0; i < table.numRows; i++) lines.push(cols.map((c, j) => (c[i] === null ? '' : cell(c[i]!, isText[j]))).join(sep));
    bytes = lines.join('\n') + '\n';
  } else throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected an output file ending in ${WRITABLE} but received ${file}`);
  try {
    writeAtomic(file, bytes);
  } catch (e) {
    throw outputError(file, e);
  }
}
