// Mice Protein Expression (UCI 342): Data_Cortex_Nuclear, prepared as docs/method.md §6 says.
import { existsSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { IpcaeError } from '../errors.js';
import { trainTestSplit } from '../tables/random.js';
import { readRawFile } from './raw.js';
import type { PreparedDataset } from './dataset.js';
import { sha256File } from '../files/hash.js';
import { requireOptional } from '../files/optional-module.js';
import type * as XLSXModule from '@e965/xlsx';

// SheetJS is large: only the .xls reader loads it, not every CLI start.
const loadXlsx = () =>
  requireOptional<typeof XLSXModule>('@e965/xlsx', 'Reading the Mice Protein .xls (the CSV, Data_Cortex_Nuclear.csv, needs nothing)', import.meta.url);

/** The raw files a Mice Protein run can use, in order of preference, and the folders searched. */
const MICE_FILES = ['Data_Cortex_Nuclear.xls', 'Data_Cortex_Nuclear.xls.gz', 'Data_Cortex_Nuclear.csv', 'Data_Cortex_Nuclear.csv.gz'];

/** The Mice Protein file in dir, dir/mice or dir/mice-protein, or undefined. */
export function findMiceFile(dir: string): string | undefined {
  for (const d of [dir, path.join(dir, 'mice'), path.join(dir, 'mice-protein')])
    for (const f of MICE_FILES) if (existsSync(path.join(d, f))) return path.join(d, f);
  return undefined;
}

type Cell = string | number | null | undefined;

const VOCABULARY = { Genotype: ['Control', 'Ts65Dn'], Treatment: ['Memantine', 'Saline'], Behavior: ['C/S', 'S/C'] } as const;

/**
 * The protein matrix and docs/method.md §6 labels from a header and rows (CSV text or spreadsheet cells).
 * Every row is checked: its field count, numbers (or blanks) in the 77 protein columns, the words
 * of Genotype / Treatment / Behavior, and `class` agreeing with them — a shifted row fails here,
 * naming the file, the line and the column, instead of training on mislabelled data.
 */
function miceTable(file: string, header: string[], rows: Cell[][], lineOf: (r: number) => number) {
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new IpcaeError('ERR_DATA', `${file}: line 1: missing column '${name}'`);
    return i;
  };
  const g = col('Genotype'),
    t = col('Treatment'),
    b = col('Behavior');
  const cls = header.indexOf('class');
  const proteinCols = header.map((h, i) => [h, i] as const).filter(([h]) => h.endsWith('_N'));
  if (proteinCols.length !== 77) throw new IpcaeError('ERR_DATA', `${file}: expected 77 protein columns (*_N), found ${proteinCols.length}`);
  const word = (v: Cell) => String(v ?? '').trim();
  rows.forEach((c, r) => {
    if (c.length !== header.length)
      throw new IpcaeError('ERR_DATA', `${file}: line ${lineOf(r)} has ${c.length} fields, expected ${header.length} (the header's): a ragged or shifted row`);
    for (const [name, i] of [
      ['Genotype', g],
      ['Treatment', t],
      ['Behavior', b],
    ] as const) {
      const allowed = VOCABULARY[name] as readonly string[];
      if (!allowed.includes(word(c[i])))
        throw new IpcaeError('ERR_DATA', `${file}: line ${lineOf(r)}, column '${name}': expected ${allowed.join(' or ')} but found '${word(c[i])}' (a shifted row?)`);
    }
    if (cls >= 0) {
      const want = `${word(c[g]) === 'Control' ? 'c' : 't'}-${word(c[b]) === 'C/S' ? 'CS' : 'SC'}-${word(c[t]) === 'Memantine' ? 'm' : 's'}`;
      if (word(c[cls]) !== want)
        throw new IpcaeError('ERR_DATA', `${file}: line ${lineOf(r)}, column 'class': expected '${want}' (from Genotype, Behavior, Treatment) but found '${word(c[cls])}'`);
    }
  });
  const x = rows.map((c, r) =>
    proteinCols.map(([h, i]) => {
      const v = c[i];
      if (v === '' || v === null || v === undefined) return NaN;
      const n = typeof v === 'number' ? v : String(v).trim() === '' ? NaN : Number(v);
      if (!Number.isFinite(n)) throw new IpcaeError('ERR_DATA', `${file}: line ${lineOf(r)}, column '${h}': expected a number, found '${v}'`);
      return n;
    }),
  );
  // label = 1·[Control] + 2·[Memantine] + 4·[C/S]
  const y = rows.map((c) => (word(c[g]) === 'Control' ? 1 : 0) + (word(c[t]) === 'Memantine' ? 2 : 0) + (word(c[b]) === 'C/S' ? 4 : 0));
  return { featureNames: proteinCols.map(([h]) => h), x, y };
}

/** Reads the CSV export (plain or .gz) of Data_Cortex_Nuclear: papaparse, quoted fields allowed. */
export function readMiceCsv(file: string) {
  const text = readRawFile(file, 'Mice Protein').toString('utf8').replace(/^\uFEFF/, '');
  const res = Papa.parse<string[]>(text, { skipEmptyLines: false });
  const quoteError = res.errors.find((e) => e.type === 'Quotes');
  if (quoteError) throw new IpcaeError('ERR_DATA', `${file}: row ${(quoteError.row ?? 0) + 1}: ${quoteError.message}`);
  // Each record's line (a quoted field may span lines); blank lines are skipped, not counted as rows.
  const records: { fields: string[]; line: number }[] = [];
  let line = 1;
  for (const fields of res.data) {
    if (!(fields.length === 1 && fields[0].trim() === '')) records.push({ fields, line });
    line += 1 + fields.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
  }
  if (records.length < 2) throw new IpcaeError('ERR_DATA', `${file}: expected a header and rows, found ${records.length} line(s)`);
  const body = records.slice(1);
  return miceTable(
    file,
    records[0].fields.map((h) => h.trim()),
    body.map((r) => r.fields),
    (r) => body[r].line,
  );
}

/** Reads UCI's Excel 97 workbook Data_Cortex_Nuclear.xls (plain or .gz): its first sheet. */
export function readMiceXls(file: string) {
  const buf = readRawFile(file, 'Mice Protein');
  const XLSX = loadXlsx();
  let book: XLSXModule.WorkBook;
  try {
    book = XLSX.read(buf, { type: 'buffer', dense: true });
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${file}: not a readable Excel workbook (${(e as Error).message})`);
  }
  const sheet = book.Sheets[book.SheetNames[0]];
  const cells = XLSX.utils.sheet_to_json<Cell[]>(sheet, { header: 1, raw: true, defval: null, blankrows: false });
  if (cells.length < 2) throw new IpcaeError('ERR_DATA', `${file}: expected a header row and data rows in sheet '${book.SheetNames[0]}'`);
  // Spreadsheet rows are lines of the sheet: row r of the data is sheet row r + 2.
  return miceTable(file, cells[0].map((h) => String(h ?? '')), cells.slice(1).map((c) => [...c, ...new Array<Cell>(Math.max(0, cells[0].length - c.length)).fill(null)]), (r) => r + 2);
}

export function readMiceFile(file: string) {
  return /\.xlsx?(\.gz)?$/i.test(file) ? readMiceXls(file) : readMiceCsv(file);
}

/**
 * Missing values (NaN) become the mean of that column over the rows of the same class, from observed
 * values only (docs/method.md §6). A class with no observed value in a column is an error naming both.
 */
export function imputeByClass(x: number[][], y: ArrayLike<number>, where = 'data', names?: string[]): void {
  const n = x.length,
    D = n ? x[0].length : 0;
  const classes = Math.max(0, ...Array.from(y)) + 1;
  for (let d = 0; d < D; d++) {
    const sum = new Float64Array(classes),
      cnt = new Float64Array(classes);
    for (let i = 0; i < n; i++)
      if (!Number.isNaN(x[i][d])) {
        sum[y[i]] += x[i][d];
        cnt[y[i]]++;
      }
    for (let i = 0; i < n; i++)
      if (Number.isNaN(x[i][d])) {
        if (cnt[y[i]] === 0) throw new IpcaeError('ERR_DATA', `${where}: column '${names?.[d] ?? d}' has no observed value in class ${y[i]}, so it cannot be imputed`);
        x[i][d] = sum[y[i]] / cnt[y[i]];
      }
  }
}

export function prepareMice(file: string): PreparedDataset {
  const { featureNames, x, y } = readMiceFile(file);
  const n = x.length,
    D = featureNames.length;
  imputeByClass(x, y, file, featureNames);
  const all = Array.from({ length: n }, (_, i) => i);
  const first = trainTestSplit(all, 0.6, 42);
  const second = trainTestSplit(first.test, 0.5, 42);
  const idx = { train: first.train, val: second.train, test: second.test };
  const lo = new Float64Array(D).fill(Infinity),
    hi = new Float64Array(D).fill(-Infinity);
  for (const i of idx.train)
    for (let d = 0; d < D; d++) {
      lo[d] = Math.min(lo[d], x[i][d]);
      hi[d] = Math.max(hi[d], x[i][d]);
    }
  const pack = (ix: number[]) => {
    const out = new Float32Array(ix.length * D);
    const lab = new Int32Array(ix.length);
    ix.forEach((i, r) => {
      lab[r] = y[i];
      for (let d = 0; d < D; d++) out[r * D + d] = hi[d] > lo[d] ? (x[i][d] - lo[d]) / (hi[d] - lo[d]) : 0;
    });
    return { x: out, y: lab };
  };
  const classNames = Array.from({ length: 8 }, (_, c) =>
    `${c & 1 ? 'c' : 't'}-${c & 2 ? 'CS' : 'SC'}-${c & 4 ? 'm' : 's'}`.replace(/^(.)-(..)-(.)$/, (_m, a, b2, cc) => `${a}-${b2}-${cc}`),
  );
  return {
    name: 'mice',
    featureNames,
    classNames,
    inputDim: D,
    classes: 8,
    train: pack(idx.train),
    val: pack(idx.val),
    test: pack(idx.test),
    indices: idx,
    sources: [{ file, sha256: sha256File(file) }],
  };
}
