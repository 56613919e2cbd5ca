// Any table a pipeline has → an apache-arrow Table: Arrow IPC files and streams (uncompressed, LZ4,
// ZSTD), Parquet (parquet-wasm), CSV/TSV (csv.ts), gzip of any of them, an Arrow Table, row objects
// or a matrix. The format is recognised by content (magic bytes), never by the file name.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { DataType, tableFromIPC, type Data, type Table } from 'apache-arrow';
import { IpcaeError, describe } from '../errors.js';
import { registerArrowCodecs } from './codecs.js';
import { readCsv, readCsvFile, type CsvReadResult } from './csv.js';
import { checkNames, columnsToTable, isColumnsInput, isMatrixInput, matrixToTable, rowsToTable, type ColumnsInput, type MatrixInput } from './memory.js';


export type TableFormat = 'arrow-file' | 'arrow-stream' | 'parquet' | 'csv' | 'arrow-table' | 'rows' | 'matrix' | 'columns';

/** What the error for an unreadable file lists. */
export const READABLE_FORMATS =
  'Arrow IPC file or stream (.arrow/.feather/.ipc/.arrows; uncompressed, LZ4_FRAME or ZSTD), Parquet, CSV or TSV (UTF-8, header row), or any of these gzipped';

/** Everything selectFeatures, transform and the CLI read. */
export type TableInput = Table | string | Uint8Array | Record<string, unknown>[] | MatrixInput | ColumnsInput | { toArrow(): Table };

export interface ReadResult {
  table: Table;
  format: TableFormat;
  /** The file read, when the input was a path. */
  file?: string;
  /** Columns of the source that are not in the table, with why (pandas' unnamed row index). */
  dropped: { column: string; reason: string }[];
}

/** Duck-typed: a Table from another copy of apache-arrow is still a Table. */
export function isArrowTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && 'schema' in v && typeof (v as Table).getChild === 'function';
}

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ARROW_MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // ARROW1
const PAR1 = [0x50, 0x41, 0x52, 0x31];

/** The format of some bytes, by content; undefined when it is none that ipcae reads. */
export function sniffFormat(b: Uint8Array): 'arrow-file' | 'arrow-stream' | 'parquet' | 'csv' | 'gzip' | undefined {
  if (startsWith(b, ARROW_MAGIC)) return 'arrow-file';
  if (startsWith(b, [0xff, 0xff, 0xff, 0xff]) && b.length >= 8) return 'arrow-stream';
  if (startsWith(b, PAR1)) return 'parquet';
  if (startsWith(b, [0x1f, 0x8b])) return 'gzip';
  const head = b.subarray(0, 4096);
  if (head.length > 0 && !head.includes(0)) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
      return 'csv';
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function otherFormat(b: Uint8Array): string {
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive (an .xlsx workbook or a zipped folder): unpack it or export the sheet as CSV';
  if (startsWith(b, [0xd0, 0xcf, 0x11, 0xe0])) return 'an Excel 97 workbook: export the sheet as CSV or Parquet';
  if (startsWith(b, [0x28, 0xb5, 0x2f, 0xfd])) return 'a zstd-compressed file: decompress it first';
  return 'none of the formats ipcae reads';
}

const dataError = (msg: string) => new IpcaeError('ERR_DATA', msg);

/** The most bytes a gzipped table may inflate to: 2 GiB, or IPCAE_MAX_INFLATED_BYTES. */
export function maxInflatedBytes(): number {
  const v = Number(process.env.IPCAE_MAX_INFLATED_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : 2 ** 31;
}

/** Reads bytes whose format is recognised by content; `name` is used in messages. */
export function readTableBytes(bytes: Uint8Array, name: string): ReadResult {
  if (bytes.length === 0) throw dataError(`${name}: the file is empty; expected ${READABLE_FORMATS}`);
  const format = sniffFormat(bytes);
  switch (format) {
    case 'gzip': {
      let inner: Uint8Array;
      const limit = maxInflatedBytes();
      try {
        inner = gunzipSync(bytes, { maxOutputLength: limit });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
          throw dataError(
            `${name}: the gzip file inflates to more than ${limit} bytes (${(limit / 2 ** 20).toFixed(0)} MiB, ipcae's limit for one table: a gzip bomb, or a table too large to read whole); set IPCAE_MAX_INFLATED_BYTES to allow more`,
          );
        throw dataError(`${name}: a damaged or truncated gzip file (${(e as Error).message})`);
      }
      return readTableBytes(inner, `${name} (gunzipped)`);
    }
    case 'arrow-file':
    case 'arrow-stream': {
      registerArrowCodecs();
      if (format === 'arrow-file' && !(bytes.length >= 12 && startsWith(bytes, ARROW_MAGIC, bytes.length - 6)))
        throw dataError(`${name}: a truncated Arrow IPC file (the closing ARROW1 magic is missing)`);
      // A stream cut at a message boundary would read as fewer rows: require the end-of-stream marker.
      if (format === 'arrow-stream' && !startsWith(bytes, [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], bytes.length - 8))
        throw dataError(`${name}: a truncated Arrow IPC stream (it does not end with the end-of-stream marker)`);
      let table: Table;
      try {
        table = tableFromIPC(bytes);
      } catch (e) {
        throw dataError(`${name}: a damaged Arrow IPC ${format === 'arrow-file' ? 'file' : 'stream'} (${(e as Error).message})`);
      }
      emptyNamesOfArrow(bytes, table, name);
      checkBuffers(table, name);
      return checked({ table, format, dropped: [] }, name);
    }
    case 'parquet': {
      if (!startsWith(bytes, PAR1, bytes.length - 4)) throw dataError(`${name}: a truncated Parquet file (the closing PAR1 magic is missing)`);
      return checked({ table: readParquet(bytes, name), format, dropped: [] }, name);
    }
    case 'csv':
      return csvResult(readCsv(bytes, name), name);
    default:
      throw dataError(`${name}: ${otherFormat(bytes)}; expected ${READABLE_FORMATS}`);
  }
}

/**
 * apache-arrow reads a field written without a name (apache-arrow JS writes '' that way) as 'null'.
 * A column really named 'null' has those four bytes in the file (its schema); when the file has
 * them nowhere, the 'null' columns had empty names: an error naming them, as for every other format.
 */
function emptyNamesOfArrow(bytes: Uint8Array, table: Table, name: string): void {
  const nulls = table.schema.fields.map((f, j) => [f.name, j] as const).filter(([n]) => n === 'null');
  if (!nulls.length || Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('null')) return;
  throw dataError(`${name}: column ${nulls.map(([, j]) => j + 1).join(', ')} ha${nulls.length > 1 ? 've' : 's'} an empty name: every column needs a name`);
}

/**
 * Every record batch's buffers hold what its length claims: a damaged or hostile file (a length of
 * 2^40, a batch longer than its buffers) is an error naming the file, never a RangeError or values
 * read past the end as missing.
 */
function checkBuffers(table: Table, name: string): void {
  table.schema.fields.forEach((f, j) => {
    let batch = 0;
    for (const d of table.getChildAt(j)!.data as Data[]) {
      const end = d.offset + d.length;
      const short = (what: string) =>
        dataError(`${name}: a damaged Arrow IPC file: record batch ${batch + 1} says ${d.length} rows but column '${f.name}' has ${what}`);
      if (!Number.isSafeInteger(end) || d.length < 0) throw short('an impossible length');
      const t = d.type as DataType;
      if (d.nullCount !== 0 && d.nullBitmap && d.nullBitmap.length > 0 && d.nullBitmap.length * 8 < end) throw short('a validity bitmap for fewer');
      if (DataType.isBool(t)) {
        if ((d.values?.length ?? 0) * 8 < end) throw short('values for fewer');
      } else if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isBinary(t)) {
        if ((d.valueOffsets?.length ?? 0) < end + 1) throw short('offsets for fewer');
      } else if (DataType.isInt(t) || DataType.isFloat(t) || DataType.isDecimal(t) || DataType.isDate(t) || DataType.isTimestamp(t) || DataType.isDictionary(t)) {
        if ((d.values?.length ?? 0) < end * d.stride) throw short('values for fewer');
      }
      batch++;
    }
  });
}

function checked(r: ReadResult, name: string): ReadResult {
  try {
    checkNames(
      r.table.schema.fields.map((f) => f.name),
      name,
    );
  } catch (e) {
    throw dataError((e as Error).message);
  }
  if (r.table.numCols === 0) throw dataError(`${name}: the table has no columns`);
  return r;
}

type ParquetWasm = { readParquet(b: Uint8Array, o?: { batchSize?: number }): { intoIPCStream(): Uint8Array } };
let parquetWasm: ParquetWasm | undefined;

/** Parquet through parquet-wasm (arrow-rs compiled to WebAssembly): every codec, Arrow types kept. */
function readParquet(bytes: Uint8Array, name: string): Table {
  parquetWasm ??= createRequire(import.meta.url)('parquet-wasm') as ParquetWasm;
  let ipc: Uint8Array;
  try {
    // Large batches: the upstream default of 1024 rows makes many small arrays to convert.
    ipc = parquetWasm.readParquet(bytes, { batchSize: 1 << 16 }).intoIPCStream();
  } catch (e) {
    throw dataError(`${name}: a damaged or unsupported Parquet file (${e instanceof Error ? e.message : String(e)})`);
  }
  return tableFromIPC(ipc);
}

function csvResult({ table, droppedIndex }: CsvReadResult, name: string): ReadResult {
  return checked(
    { table, format: 'csv', dropped: droppedIndex !== undefined ? [{ column: '(unnamed column 1)', reason: "pandas' row index (an unnamed first column 0, 1, 2, …)" }] : [] },
    name,
  );
}

/** The first bytes of a file (enough to know its format). */
function fileHead(file: string, n = 8192): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

export function readTableFile(file: string): ReadResult {
  try {
    // A CSV file is parsed in blocks (its text is never held whole: a wide one is GBs);
    // every other format is read at once.
    const head = fileHead(file);
    if (head.length > 0 && sniffFormat(head) === 'csv') return { ...csvResult(readCsvFile(file), file), file };
    return { ...readTableBytes(readFileSync(file), file), file };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof IpcaeError || !code) throw e;
    throw dataError(`Cannot read the table file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

/** Any TableInput as an Arrow table (synchronously: large files are read through readTableAsync). */
export function readTableSync(input: TableInput, argName = 'the table'): ReadResult {
  if (typeof input === 'string') return readTableFile(input);
  if (isArrowTable(input)) {
    checkNames(
      input.schema.fields.map((f) => f.name),
      'the table',
    );
    return { table: input, format: 'arrow-table', dropped: [] };
  }
  if (input instanceof Uint8Array) return readTableBytes(input, 'the bytes');
  if (Array.isArray(input)) return { table: rowsToTable(input as Record<string, unknown>[]), format: 'rows', dropped: [] };
  if (isMatrixInput(input)) return { table: matrixToTable(input), format: 'matrix', dropped: [] };
  if (isColumnsInput(input)) return { table: columnsToTable(input), format: 'columns', dropped: [] };
  // Arquero (and other table libraries): their own Arrow export
  if (typeof (input as { toArrow?: unknown }).toArrow === 'function') return readTableSync((input as { toArrow(): Table }).toArrow(), argName);
  throw new IpcaeError(
    'ERR_INVALID_ARGUMENT',
    `Expected ${argName} to be a file path (${READABLE_FORMATS}), an apache-arrow Table, an array of row objects, an object of columns ({ name: values, … }), { x, featureNames?, y? } or a table with toArrow() (Arquero) but received ${describe(input)}`,
  );
}

/** The Arrow table of any table input (readTableSync without the details). */
export function readTable(input: TableInput): Table {
  return readTableSync(input).table;
}
