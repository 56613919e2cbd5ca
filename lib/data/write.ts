// Writing a table a user asked for (ipcae impute): Arrow IPC for .arrow/.feather/.ipc, CSV for
// .csv, TSV for .tsv; atomically (a temporary file renamed into place), never half-written.
import { tableToIPC, type Table } from 'apache-arrow';
import { IpcaeError } from '../errors.js';
import { writeAtomic } from '../files/atomic.js';
import { outputError } from '../files/dirs.js';
import { textColumn } from './columns.js';

export const WRITABLE = '.arrow, .feather or .ipc (Arrow IPC file), .csv or .tsv';

const quote = (s: string, sep: string) => (/["\r\n]/.test(s) || s.includes(sep) ? `"${s.replace(/"/g, '""')}"` : s);

export function writeTable(file: string, table: Table): void {
  let bytes: string | Uint8Array;
  if (/\.(arrow|feather|ipc)$/i.test(file)) bytes = tableToIPC(table, 'file');
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
