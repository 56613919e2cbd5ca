// Mice Protein Expression (UCI 342): Data_Cortex_Nuclear, prepared as SPEC 6 says.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IpcaeError } from '../errors.js';
import { trainTestSplit } from './random.js';
import { readRawFile } from './raw.js';
import type { PreparedDataset } from './dataset.js';
import { sha256File } from '../files/hash.js';
import type * as XLSXModule from '@e965/xlsx';

// SheetJS is large: only the .xls reader loads it, not every CLI start.
const loadXlsx = () => createRequire(import.meta.url)('@e965/xlsx') as typeof XLSXModule;

/** The raw files a Mice Protein run can use, in order of preference, and the folders searched. */
const MICE_FILES = ['Data_Cortex_Nuclear.xls', 'Data_Cortex_Nuclear.xls.gz', 'Data_Cortex_Nuclear.csv', 'Data_Cortex_Nuclear.csv.gz'];

/** The Mice Protein file in dir, dir/mice or dir/mice-protein, or undefined. */
export function findMiceFile(dir: string): string | undefined {
  for (const d of [dir, path.join(dir, 'mice'), path.join(dir, 'mice-protein')])
    for (const f of MICE_FILES) if (existsSync(path.join(d, f))) return path.join(d, f);
  return undefined;
}

type Cell = string | number | null | undefined;

/** The protein matrix and SPEC 6 labels from a header and rows (CSV text or spreadsheet cells). */
function miceTable(file: string, header: string[], rows: Cell[][]) {
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new IpcaeError('ERR_DATA', `${file}: missing column '${name}'`);
    return i;
  };
  const g = col('Genotype'),
    t = col('Treatment'),
    b = col('Behavior');
  const proteinCols = header.map((h, i) => [h, i] as const).filter(([h]) => h.endsWith('_N'));
  if (proteinCols.length !== 77) throw new IpcaeError('ERR_DATA', `${file}: expected 77 protein columns (*_N), found ${proteinCols.length}`);
  const x = rows.map((c, r) =>
    proteinCols.map(([h, i]) => {
      const v = c[i];
      if (v === '' || v === null || v === undefined) return NaN;
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) throw new IpcaeError('ERR_DATA', `${file}: row ${r + 2}, column '${h}': expected a number, found '${v}'`);
      return n;
    }),
  );
  const word = (v: Cell) => String(v ?? '').trim();
  // label = 1·[Control] + 2·[Memantine] + 4·[C/S]
  const y = rows.map((c) => (word(c[g]) === 'Control' ? 1 : 0) + (word(c[t]) === 'Memantine' ? 2 : 0) + (word(c[b]) === 'C/S' ? 4 : 0));
  return { featureNames: proteinCols.map(([h]) => h), x, y };
}

/** Reads the CSV export (plain or .gz) of Data_Cortex_Nuclear. */
export function readMiceCsv(file: string) {
  const lines = readRawFile(file, 'Mice Protein').toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n|\r/).filter((l) => l.length > 0);
  if (lines.length < 2) throw new IpcaeError('ERR_DATA', `${file}: expected a header and rows, found ${lines.length} line(s)`);
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l, r) => {
    const c = l.split(',');
    if (c.length !== header.length)
      throw new IpcaeError('ERR_DATA', `${file}: row ${r + 2} has ${c.length} fields, expected ${header.length}`);
    return c;
  });
  return miceTable(file, header, rows);
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
  return miceTable(file, cells[0].map((h) => String(h ?? '')), cells.slice(1));
}

export function readMiceFile(file: string) {
  return /\.xlsx?(\.gz)?$/i.test(file) ? readMiceXls(file) : readMiceCsv(file);
}

/**
 * Missing values (NaN) become the mean of that column over the rows of the same class, from observed
 * values only (SPEC 6). A class with no observed value in a column is an error naming both.
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
