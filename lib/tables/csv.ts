// CSV / TSV → an Arrow table, with types inferred as docs/tables.md documents and every row checked:
// a ragged or shifted row is an error naming the file, the line and the column, never a silent mis-read.
// Parsing is papaparse's; the file is cut into pieces at record boundaries (a newline outside quotes,
// found by a quote-parity scan) so that files of any size parse without one giant string.
import { tableFromColumns } from './columns.js';
import Papa from 'papaparse';
import { closeSync, openSync, readSync } from 'node:fs';
import { Bool, Data, Float64, Int32, Null, Table, Utf8, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import { IpcaeError } from '../errors.js';

/** Field texts read as missing values (pandas writes NaN as an empty field). */
export const CSV_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None'];
const MISSING = new Set(CSV_MISSING);
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);
/** Rows whose fields decide each column's type. */
export const CSV_SNIFF_ROWS = 1000;
let PIECE_BYTES = 4 << 20;
const INT_RE = /^\s*[+-]?\d+\s*$/;

const dataError = (msg: string) => new IpcaeError('ERR_DATA', msg);

function parseNumber(s: string): number {
  const v = +s;
  if (v === v) return v === 0 && s.trim() === '' ? NaN : v; // +'' and +' ' are 0
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return NaN;
}

type Kind = 'int' | 'float' | 'bool' | 'text' | 'empty';

class ColumnBuilder {
  kind: Kind = 'empty';
  num = new Float64Array(16);
  valid = new Uint8Array(16);
  text: (string | null)[] = [];
  length = 0;
  // What the sniffed rows held (no string is kept: a wide table would hold them all): counts, the
  // first value that is not a number, and the values stored as numbers on the chance that the
  // column is numeric (or 1/0 for true/false), which it almost always is.
  private present = 0;
  private bools = 0;
  private numeric = 0;
  private allInt = true;
  private firstText: { value: string; line: number } | undefined;
  /** Set when the sniffed rows made the column text: their strings are read again (readCsv). */
  needsSniffedText = false;
  constructor(readonly name: string) {}

  private grow(): void {
    const n = this.num.length * 2;
    const num = new Float64Array(n);
    num.set(this.num);
    const valid = new Uint8Array(n);
    valid.set(this.valid);
    this.num = num;
    this.valid = valid;
  }

  /** One value of the first CSV_SNIFF_ROWS rows, before the type is decided. */
  sniffValue(value: string, line: number): void {
    if (this.length === this.num.length) this.grow();
    const i = this.length++;
    if (MISSING.has(value)) return;
    this.present++;
    if (TRUE.has(value) || FALSE.has(value)) {
      this.bools++;
      this.num[i] = TRUE.has(value) ? 1 : 0;
      this.valid[i] = 1;
      this.firstText ??= { value, line };
      return;
    }
    const v = parseNumber(value);
    if (Number.isNaN(v)) {
      this.firstText ??= { value, line };
      return;
    }
    this.numeric++;
    if (this.allInt && !(INT_RE.test(value) && Math.abs(v) < 2 ** 31)) this.allInt = false;
    this.num[i] = v;
    this.valid[i] = 1;
  }

  /** Decide the type from the sniffed rows (docs/tables.md: "CSV type inference"). */
  decide(file: string): void {
    if (this.present === 0) this.kind = 'empty';
    else if (this.bools === this.present) this.kind = 'bool';
    else if (this.numeric === this.present) this.kind = this.allInt ? 'int' : 'float';
    else if (this.numeric * 2 > this.present) {
      const first = this.firstText!;
      throw dataError(
        `${file}: line ${first.line}, column '${this.name}': expected a number (the column's other values are numbers) but found '${first.value}': a shifted row or a stray value`,
      );
    } else {
      this.kind = 'text';
      this.needsSniffedText = true;
      this.text = [];
    }
    if (this.kind === 'empty' || this.kind === 'text') this.valid.fill(0, 0, this.length);
  }

  push(value: string, line: number, file: string): void {
    if (this.kind === 'text') {
      this.text.push(MISSING.has(value) ? null : value);
      this.length++;
      return;
    }
    if (this.length === this.num.length) this.grow();
    const i = this.length++;
    if (MISSING.has(value)) return; // valid[i] stays 0
    if (this.kind === 'bool') {
      if (TRUE.has(value)) this.num[i] = 1;
      else if (FALSE.has(value)) this.num[i] = 0;
      else throw dataError(`${file}: line ${line}, column '${this.name}': expected true or false (the column's first values are) but found '${value}'`);
    } else if (this.kind === 'empty') {
      // Every earlier value was missing: this first value decides the type (as a one-row sniff).
      this.length--;
      this.kind = TRUE.has(value) || FALSE.has(value) ? 'bool' : Number.isNaN(parseNumber(value)) ? 'text' : INT_RE.test(value) ? 'int' : 'float';
      if (this.kind === 'text') this.text = new Array<string | null>(this.length).fill(null);
      this.push(value, line, file);
      return;
    } else {
      const v = parseNumber(value);
      if (Number.isNaN(v))
        throw dataError(`${file}: line ${line}, column '${this.name}': expected a number (the column's first values are numbers) but found '${value}': a shifted row or a stray value`);
      if (this.kind === 'int' && !(Number.isInteger(v) && Math.abs(v) < 2 ** 31)) this.kind = 'float';
      this.num[i] = v;
    }
    this.valid[i] = 1;
  }

  /** Drops the builder's buffers (after vector()). */
  release(): void {
    this.num = new Float64Array(0);
    this.valid = new Uint8Array(0);
    this.text = [];
  }

  vector(): Vector {
    const n = this.length;
    if (this.kind === 'text') return vectorFromArray(this.text, new Utf8());
    if (this.kind === 'empty') return vectorFromArray(new Array<null>(n).fill(null), new Null());
    let nullCount = 0;
    const bitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      if (this.valid[i]) bitmap[i >> 3] |= 1 << (i & 7);
      else nullCount++;
    }
    if (this.kind === 'bool') return vectorFromArray(Array.from({ length: n }, (_, i) => (this.valid[i] ? this.num[i] === 1 : null)), new Bool());
    // The builder's own buffer when it is nearly full (no copy: a wide file's columns are many)
    const values = this.kind === 'int' ? Int32Array.from(this.num.subarray(0, n)) : n * 4 >= this.num.length * 3 ? this.num.subarray(0, n) : this.num.slice(0, n);
    const type = this.kind === 'int' ? new Int32() : new Float64();
    const data: Data = makeData({ type, length: n, nullCount, nullBitmap: nullCount ? bitmap : undefined, data: values } as never);
    return makeVector(data);
  }
}

/** Record starts: byte offsets of each record (after a newline outside quotes) and its 1-based line. */
function recordPieces(bytes: Uint8Array): { start: number; end: number; line: number }[] {
  const pieces: { start: number; end: number; line: number }[] = [];
  let inQuotes = false,
    line = 1,
    start = 0,
    startLine = 1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 34) inQuotes = !inQuotes;
    else if (b === 10) {
      line++;
      if (!inQuotes && i + 1 - start >= PIECE_BYTES) {
        pieces.push({ start, end: i + 1, line: startLine });
        start = i + 1;
        startLine = line;
      }
    }
  }
  if (start < bytes.length) pieces.push({ start, end: bytes.length, line: startLine });
  return pieces;
}

function sniffDelimiter(firstLine: string, file: string): string {
  if (/\.tsv(\.gz)?$|\.tab$/i.test(file)) return '\t';
  let best = ',',
    count = 0;
  for (const d of [',', '\t', ';', '|']) {
    let c = 0,
      q = false;
    for (const ch of firstLine) {
      if (ch === '"') q = !q;
      else if (!q && ch === d) c++;
    }
    if (c > count) {
      best = d;
      count = c;
    }
  }
  return best;
}

/** Where the CSV's bytes come from: pieces of whole records, in order, as often as asked. */
interface CsvSource {
  /** The bytes up to and including the first newline (the header line), or all when there is none. */
  firstLine(): Uint8Array;
  /** Pieces of whole records (at record boundaries) with the 1-based line each starts on. */
  pieces(): Iterable<{ bytes: Uint8Array; line: number }>;
}

function bytesSource(bytes: Uint8Array): CsvSource {
  return {
    firstLine: () => {
      const nl = bytes.indexOf(10);
      return nl < 0 ? bytes : bytes.subarray(0, nl + 1);
    },
    *pieces() {
      for (const p of recordPieces(bytes)) yield { bytes: bytes.subarray(p.start, p.end), line: p.line };
    },
  };
}

let FILE_BLOCK_BYTES = 16 << 20;

/** Tests: small pieces and blocks, so that small files cross every boundary (restore with no arguments). */
export function setCsvChunkingForTest(pieceBytes = 4 << 20, blockBytes = 16 << 20): void {
  PIECE_BYTES = pieceBytes;
  FILE_BLOCK_BYTES = blockBytes;
}

/**
 * A CSV file read in blocks (a few tens of MB in memory, whatever the file's size): each block
 * joins the unfinished records of the one before, and its whole pieces go on.
 */
function fileSource(file: string, skip: number): CsvSource {
  const blocks = function* (): Generator<Uint8Array> {
    const fd = openSync(file, 'r');
    try {
      let pos = skip;
      for (;;) {
        const block = Buffer.allocUnsafe(FILE_BLOCK_BYTES);
        const n = readSync(fd, block, 0, block.length, pos);
        if (n === 0) return;
        pos += n;
        yield block.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  };
  return {
    firstLine: () => {
      let head: Uint8Array = new Uint8Array(0);
      for (const b of blocks()) {
        const nl = b.indexOf(10);
        head = concat(head, nl < 0 ? b : b.subarray(0, nl + 1));
        if (nl >= 0) break;
      }
      return head;
    },
    *pieces() {
      let carry: Uint8Array = new Uint8Array(0);
      let line = 1;
      for (const b of blocks()) {
        carry = concat(carry, b);
        const cut = recordPieces(carry);
        if (cut.length < 2) continue; // one record longer than what was read: read on
        // every piece but the last, whose records may go on in the next block
        for (const p of cut.slice(0, -1)) yield { bytes: carry.subarray(p.start, p.end), line: line + p.line - 1 };
        const last = cut[cut.length - 1];
        line += last.line - 1;
        carry = carry.slice(last.start);
      }
      if (carry.length) yield { bytes: carry, line };
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Reads a CSV or TSV file as readCsv does, in blocks: the file's text is never held whole. */
export function readCsvFile(file: string): CsvReadResult {
  const fd = openSync(file, 'r');
  const bom = Buffer.alloc(3);
  try {
    readSync(fd, bom, 0, 3, 0);
  } finally {
    closeSync(fd);
  }
  return readCsvSource(fileSource(file, bom[0] === 0xef && bom[1] === 0xbb && bom[2] === 0xbf ? 3 : 0), file);
}

export interface CsvReadResult {
  table: Table;
  /** Columns recognised as pandas' default row index (an unnamed first column 0, 1, 2, …), not in the table. */
  droppedIndex?: string;
}

/**
 * Reads CSV or TSV bytes (UTF-8, optional BOM; the delimiter is the most frequent of , tab ; | in
 * the header line, tab for .tsv). The first line is the header. Every row must have the header's
 * field count. Types: see docs/tables.md, "CSV type inference".
 */
export function readCsv(input: Uint8Array, file: string): CsvReadResult {
  let bytes = input;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  return readCsvSource(bytesSource(bytes), file);
}

function readCsvSource(source: CsvSource, file: string): CsvReadResult {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (b: Uint8Array, line: number) => {
    try {
      return decoder.decode(b);
    } catch {
      throw dataError(`${file}: not UTF-8 text (near line ${line}); save the CSV as UTF-8`);
    }
  };
  const first = source.firstLine();
  const nl = first.indexOf(10);
  const headerEnd = nl < 0 ? first.length : nl;
  const headerLine = decode(first.subarray(0, headerEnd), 1).replace(/\r$/, '');
  if (headerLine.trim() === '') throw dataError(`${file}: line 1: expected a header row of column names but the line is empty`);
  const delimiter = sniffDelimiter(headerLine, file);
  const crlf = nl > 0 && first[nl - 1] === 13;
  let header: string[] | undefined;
  let builders: ColumnBuilder[] = [];
  let rows = 0;
  const onRecord = (fields: string[], line: number) => {
    if (!header) {
      header = fields;
      checkHeader(header, file);
      builders = header.map((h) => new ColumnBuilder(h));
      return;
    }
    if (fields.length === 1 && fields[0] === '') return; // a blank line
    if (fields.length !== header.length)
      throw dataError(
        `${file}: line ${line} has ${fields.length} field(s), expected ${header.length} (the header's): a ragged or shifted row` +
          (fields.length > header.length ? ` — an unquoted '${delimiter === '\t' ? '\\t' : delimiter}' in a value?` : ''),
      );
    rows++;
    if (rows <= CSV_SNIFF_ROWS) {
      for (let j = 0; j < fields.length; j++) builders[j].sniffValue(fields[j], line);
      if (rows === CSV_SNIFF_ROWS) for (const b of builders) b.decide(file);
      return;
    }
    for (let j = 0; j < fields.length; j++) builders[j].push(fields[j], line, file);
  };
  forEachRecord(onRecord);
  if (!header) throw dataError(`${file}: the file is empty, expected a header row and data rows`);
  if (rows === 0) throw dataError(`${file}: expected data rows after the header but found none`);
  if (rows < CSV_SNIFF_ROWS) for (const b of builders) b.decide(file);
  // Columns the sniffed rows made text: their strings, read again (only those rows, only those columns).
  const textColumns = builders.map((b, j) => [b, j] as const).filter(([b]) => b.needsSniffedText);
  if (textColumns.length) {
    const sniffed = Math.min(rows, CSV_SNIFF_ROWS);
    const heads = textColumns.map(() => [] as (string | null)[]);
    let seen = -1; // the header is record -1
    forEachRecord((fields) => {
      if (seen++ < 0) return true;
      if (fields.length === 1 && fields[0] === '') return true;
      textColumns.forEach(([, j], c) => heads[c].push(MISSING.has(fields[j]) ? null : fields[j]));
      return heads[0].length < sniffed;
    });
    textColumns.forEach(([b], c) => {
      b.text = heads[c].concat(b.text);
      b.needsSniffedText = false;
    });
  }
  // pandas' default to_csv writes the row index as an unnamed first column: recognised, not a feature.
  let droppedIndex: string | undefined;
  const cols: Record<string, Vector> = {};
  builders.forEach((b, j) => {
    if (j === 0 && b.name === '' && b.kind === 'int' && isRowIndex(b)) {
      droppedIndex = '';
      return;
    }
    cols[b.name] = b.vector();
    b.release(); // its values now live in the vector (or a copy): the rest goes now, not with the last column
  });
  const empty = builders.map((b, j) => [b.name, j] as const).filter(([n, j]) => n.trim() === '' && !(j === 0 && droppedIndex !== undefined));
  if (empty.length)
    throw dataError(`${file}: line 1: column ${empty.map(([, j]) => j + 1).join(', ')} ha${empty.length > 1 ? 've' : 's'} an empty name: every column needs a name`);
  return { table: tableFromColumns(cols), droppedIndex };

  /** Parses the pieces in order, each record to `each` with its line; `each` returning false stops. */
  function forEachRecord(each: (fields: string[], line: number) => boolean | void): void {
    for (const piece of source.pieces()) {
      const text = decode(piece.bytes, piece.line);
      const res = Papa.parse<string[]>(text, { delimiter, newline: crlf ? '\r\n' : '\n', skipEmptyLines: false });
      const err = res.errors.find((e) => e.type === 'Quotes' || e.code === 'InvalidQuotes' || e.code === 'MissingQuotes');
      if (err) throw dataError(`${file}: near line ${piece.line + lineOfRow(text, err.row ?? 0, crlf)}: ${err.message} (a quote that is never closed?)`);
      // The line of each record: count the newlines inside quoted fields as we go.
      let line = piece.line;
      for (const r of res.data) {
        if (each(r, line) === false) return;
        let extra = 0;
        for (const f of r) for (let k = f.indexOf('\n'); k >= 0; k = f.indexOf('\n', k + 1)) extra++;
        line += 1 + extra;
      }
    }
  }
}

function lineOfRow(text: string, row: number, _crlf: boolean): number {
  let line = 0,
    at = 0;
  for (let r = 0; r < row && at >= 0; r++) {
    at = text.indexOf('\n', at) + 1;
    line++;
  }
  return line;
}

function isRowIndex(b: ColumnBuilder): boolean {
  for (let i = 0; i < b.length; i++) if (!b.valid[i] || b.num[i] !== i) return false;
  return true;
}

/** Duplicate column names are an error naming them (empty names are checked after the pandas index). */
function checkHeader(header: string[], file: string): void {
  const seen = new Map<string, number>();
  const dups: string[] = [];
  header.forEach((h, j) => {
    if (seen.has(h) && h !== '') dups.push(`'${h}' (columns ${seen.get(h)! + 1} and ${j + 1})`);
    else seen.set(h, j);
  });
  if (dups.length) throw dataError(`${file}: line 1: duplicate column name${dups.length > 1 ? 's' : ''} ${dups.join(', ')}: every column needs its own name`);
}
