// The wide datasets the official IP-CAE code ships configs for, read from their published files:
// GENE (UCI 401, TCGA pan-cancer RNA-seq: data.csv + labels.csv, 801 × 20,531), ARCENE (UCI 167,
// NIPS 2003: dense integers, 10,000 features, labels ±1), DEXTER (UCI 168: sparse "index:value"
// lines, 20,000 features), CANCER (UCI 17 Wisconsin diagnostic, scikit-learn's load_breast_cancer:
// wdbc.data, 30 features) and BREAST (x.npy / y.npy of the official repository). Values are used as
// stored (the official code scales none of them). Splits: GENE, CANCER and BREAST 60/20/20 as the
// official code splits CANCER (torch random_split, seed 42); ARCENE and DEXTER publish no test
// labels, so their train file is split 80/20 (seed 42) into train and validation and their
// validation file is the test set.
import { IpcaeError } from '../errors.js';
import { sha256File } from '../files/hash.js';
import type { PreparedDataset } from './dataset.js';
import { findFile } from './paper.js';
import { readRawFile } from './raw.js';
import { torchRandperm } from '../tables/random.js';

const bad = (file: string, msg: string) => new IpcaeError('ERR_DATA', `${file}: ${msg}`);

interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** Non-empty lines of a text file (plain, .gz or .Z), with their 1-based line numbers. */
function lines(file: string, what: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  readRawFile(file, what)
    .toString('utf8')
    .split(/\r?\n/)
    .forEach((text, i) => {
      if (text.trim() !== '') out.push({ text, line: i + 1 });
    });
  if (!out.length) throw bad(file, 'no data lines');
  return out;
}

function number(file: string, line: number, s: string, column: number): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw bad(file, `line ${line}, value ${column}: expected a number but found '${s.slice(0, 40)}'`);
  return v;
}

/** Whitespace-separated dense rows (ARCENE's .data), every row `cols` values when cols is given. */
export function readDenseText(file: string, cols?: number): Matrix {
  const ls = lines(file, 'NIPS 2003');
  const width = cols ?? ls[0].text.trim().split(/\s+/).length;
  const data = new Float32Array(ls.length * width);
  ls.forEach(({ text, line }, i) => {
    const parts = text.trim().split(/\s+/);
    if (parts.length !== width) throw bad(file, `line ${line}: expected ${width} values but found ${parts.length}`);
    for (let j = 0; j < width; j++) data[i * width + j] = number(file, line, parts[j], j + 1);
  });
  return { rows: ls.length, cols: width, data };
}

/** Sparse rows "index:value …" with 1-based indices (DEXTER's .data); an empty row is all zeros. */
export function readSparseText(file: string, cols: number, rows?: number): Matrix {
  const all = readRawFile(file, 'NIPS 2003').toString('utf8').split(/\r?\n/);
  while (all.length && all[all.length - 1].trim() === '') all.pop();
  const n = rows ?? all.length;
  if (all.length !== n) throw bad(file, `expected ${n} rows but found ${all.length}`);
  const data = new Float32Array(n * cols);
  all.forEach((text, i) => {
    for (const entry of text.trim().split(/\s+/)) {
      if (entry === '') continue;
      const m = /^(\d+):(.+)$/.exec(entry);
      if (!m) throw bad(file, `line ${i + 1}: expected index:value but found '${entry.slice(0, 40)}'`);
      const j = Number(m[1]);
      if (j < 1 || j > cols) throw bad(file, `line ${i + 1}: feature index ${j} is outside 1…${cols}`);
      data[i * cols + j - 1] = number(file, i + 1, m[2], j);
    }
  });
  return { rows: n, cols, data };
}

/** One label per line: -1 / +1 (NIPS 2003) become 0 / 1. */
export function readSignLabels(file: string): Int32Array {
  return Int32Array.from(lines(file, 'NIPS 2003 labels'), ({ text, line }) => {
    const v = number(file, line, text.trim(), 1);
    if (v !== 1 && v !== -1) throw bad(file, `line ${line}: expected a label -1 or 1 but found '${text.trim()}'`);
    return v > 0 ? 1 : 0;
  });
}

/** A NumPy .npy file: 2-D (or 1-D) little-endian float32/float64/int/bool in C order. */
export function readNpy(file: string): { shape: number[]; data: Float64Array } {
  const buf = readRawFile(file, 'NumPy');
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw bad(file, 'not a NumPy .npy file (no \\x93NUMPY magic)');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (!descr || !shape.length) throw bad(file, `cannot read the .npy header '${header.trim().slice(0, 120)}'`);
  if (fortran && shape.length > 1) throw bad(file, 'expected C order (fortran_order False)');
  const kinds: Record<string, [number, (b: Buffer, o: number) => number]> = {
    '<f4': [4, (b, o) => b.readFloatLE(o)],
    '<f8': [8, (b, o) => b.readDoubleLE(o)],
    '<i8': [8, (b, o) => Number(b.readBigInt64LE(o))],
    '<i4': [4, (b, o) => b.readInt32LE(o)],
    '|i1': [1, (b, o) => b.readInt8(o)],
    '|u1': [1, (b, o) => b[o]],
    '|b1': [1, (b, o) => b[o]],
  };
  const kind = kinds[descr];
  if (!kind) throw bad(file, `unsupported dtype '${descr}' (expected one of ${Object.keys(kinds).join(', ')})`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (buf.length < start + n * kind[0]) throw bad(file, `truncated: shape (${shape.join(', ')}) needs ${n * kind[0]} bytes of data, the file has ${buf.length - start}`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = kind[1](buf, start + i * kind[0]);
  return { shape, data };
}

/** The official code's 60/20/20 split (torch random_split, seed 42; int() sizes, the test set takes the rest). */
function split602020(n: number) {
  const r = Array.from(torchRandperm(n, 42));
  const a = Math.floor(0.6 * n),
    b = Math.floor(0.2 * n);
  return { train: r.slice(0, a), val: r.slice(a, a + b), test: r.slice(a + b) };
}

function assemble(o: {
  name: string;
  x: Matrix;
  labels: ArrayLike<number>;
  classNames: string[];
  featureNames: string[];
  idx: { train: number[]; val: number[]; test: number[] };
  files: string[];
}): PreparedDataset {
  const D = o.x.cols;
  const pack = (rows: number[]) => {
    const x = new Float32Array(rows.length * D);
    rows.forEach((i, r) => x.set(o.x.data.subarray(i * D, (i + 1) * D), r * D));
    return { x, y: Int32Array.from(rows, (i) => o.labels[i]) };
  };
  return {
    name: o.name,
    featureNames: o.featureNames,
    classNames: o.classNames,
    inputDim: D,
    classes: o.classNames.length,
    train: pack(o.idx.train),
    val: pack(o.idx.val),
    test: pack(o.idx.test),
    indices: o.idx,
    sources: o.files.map((file) => ({ file, sha256: sha256File(file) })),
  };
}

const stack = (a: Matrix, b: Matrix): Matrix => {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { rows: a.rows + b.rows, cols: a.cols, data };
};

/** Labels as class indices in sorted order of their names (scikit-learn's LabelEncoder). */
function encode(names: string[]): { labels: Int32Array; classNames: string[] } {
  const classNames = [...new Set(names)].sort();
  const at = new Map(classNames.map((c, i) => [c, i]));
  return { labels: Int32Array.from(names, (n) => at.get(n)!), classNames };
}

/** GENE: data.csv (a header of gene names, then a sample name and 20,531 values per row) and labels.csv (sample, Class). */
export function prepareGene(dir: string): PreparedDataset {
  const dataFile = findFile(dir, 'gene', ['data.csv', 'data.csv.gz', 'TCGA-PANCAN-HiSeq-801x20531/data.csv']);
  const labelFile = findFile(dir, 'gene', ['labels.csv', 'labels.csv.gz', 'TCGA-PANCAN-HiSeq-801x20531/labels.csv']);
  const ls = lines(dataFile, 'GENE data.csv');
  const header = ls[0].text.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  const featureNames = header.slice(1);
  const D = featureNames.length;
  if (D < 1) throw bad(dataFile, 'line 1: expected a header of a row-name column and the gene names');
  const samples: string[] = [];
  const data = new Float32Array((ls.length - 1) * D);
  ls.slice(1).forEach(({ text, line }, i) => {
    const parts = text.split(',');
    if (parts.length !== D + 1) throw bad(dataFile, `line ${line}: expected ${D + 1} values (a sample name and ${D} genes) but found ${parts.length}`);
    samples.push(parts[0].trim().replace(/^"|"$/g, ''));
    for (let j = 0; j < D; j++) data[i * D + j] = number(dataFile, line, parts[j + 1], j + 2);
  });
  const labelLines = lines(labelFile, 'GENE labels.csv').slice(1);
  const classOf = new Map(labelLines.map(({ text }) => text.split(',').map((s) => s.trim().replace(/^"|"$/g, '')) as [string, string]));
  const names = samples.map((s, i) => {
    const c = classOf.get(s);
    if (c === undefined) throw bad(labelFile, `no class for sample '${s}' (row ${i + 2} of ${dataFile})`);
    return c;
  });
  const { labels, classNames } = encode(names);
  return assemble({ name: 'gene', x: { rows: samples.length, cols: D, data }, labels, classNames, featureNames, idx: split602020(samples.length), files: [dataFile, labelFile] });
}

/** ARCENE (dense, 10,000 features) or DEXTER (sparse, 20,000): train and valid files with their labels. */
function prepareNips(dir: string, name: 'arcene' | 'dexter'): PreparedDataset {
  const D = name === 'arcene' ? 10000 : 20000;
  const find = (f: string) => findFile(dir, name, [f, `${f}.gz`, `${name.toUpperCase()}/${f}`, `${name.toUpperCase()}/${f}.gz`]);
  const files = [`${name}_train.data`, `${name}_train.labels`, `${name}_valid.data`, `${name}_valid.labels`].map(find);
  const read = (f: string) => (name === 'arcene' ? readDenseText(f, D) : readSparseText(f, D));
  const train = read(files[0]),
    valid = read(files[2]);
  const yTrain = readSignLabels(files[1]),
    yValid = readSignLabels(files[3]);
  if (yTrain.length !== train.rows) throw bad(files[1], `${yTrain.length} labels for the ${train.rows} rows of ${files[0]}`);
  if (yValid.length !== valid.rows) throw bad(files[3], `${yValid.length} labels for the ${valid.rows} rows of ${files[2]}`);
  const r = Array.from(torchRandperm(train.rows, 42));
  const a = Math.floor(0.8 * train.rows);
  const idx = { train: r.slice(0, a), val: r.slice(a), test: Array.from({ length: valid.rows }, (_, i) => train.rows + i) };
  const labels = new Int32Array(train.rows + valid.rows);
  labels.set(yTrain);
  labels.set(yValid, train.rows);
  return assemble({ name, x: stack(train, valid), labels, classNames: ['-1', '1'], featureNames: Array.from({ length: D }, (_, j) => `f${j + 1}`), idx, files });
}

export const prepareArcene = (dir: string) => prepareNips(dir, 'arcene');
export const prepareDexter = (dir: string) => prepareNips(dir, 'dexter');

const wdbcNames = (): string[] => {
  const base = ['radius', 'texture', 'perimeter', 'area', 'smoothness', 'compactness', 'concavity', 'concave points', 'symmetry', 'fractal dimension'];
  return [...base.map((b) => `mean ${b}`), ...base.map((b) => `${b} error`), ...base.map((b) => `worst ${b}`)];
};

/** CANCER: wdbc.data (id, diagnosis M/B, 30 values), scikit-learn's breast cancer with its target (malignant 0, benign 1). */
export function prepareCancer(dir: string): PreparedDataset {
  const file = findFile(dir, 'cancer', ['wdbc.data', 'wdbc.data.gz']);
  const ls = lines(file, 'WDBC');
  const D = 30;
  const data = new Float32Array(ls.length * D);
  const labels = new Int32Array(ls.length);
  ls.forEach(({ text, line }, i) => {
    const parts = text.split(',');
    if (parts.length !== D + 2) throw bad(file, `line ${line}: expected ${D + 2} values (id, diagnosis, ${D} features) but found ${parts.length}`);
    const d = parts[1].trim();
    if (d !== 'M' && d !== 'B') throw bad(file, `line ${line}: expected the diagnosis M or B but found '${d}'`);
    labels[i] = d === 'M' ? 0 : 1;
    for (let j = 0; j < D; j++) data[i * D + j] = number(file, line, parts[j + 2], j + 3);
  });
  return assemble({ name: 'cancer', x: { rows: ls.length, cols: D, data }, labels, classNames: ['malignant', 'benign'], featureNames: wdbcNames(), idx: split602020(ls.length), files: [file] });
}

/** BREAST: the official repository's x.npy (rows × features) and y.npy (0/1 per row). */
export function prepareBreast(dir: string): PreparedDataset {
  const xf = findFile(dir, 'breast', ['x.npy']),
    yf = findFile(dir, 'breast', ['y.npy']);
  const x = readNpy(xf),
    y = readNpy(yf);
  if (x.shape.length !== 2) throw bad(xf, `expected a 2-D array but its shape is (${x.shape.join(', ')})`);
  const [n, D] = x.shape;
  if (y.data.length !== n) throw bad(yf, `${y.data.length} labels for the ${n} rows of ${xf}`);
  const labels = Int32Array.from(y.data, (v, i) => {
    if (v !== 0 && v !== 1) throw bad(yf, `label ${i + 1} is ${v} (expected 0 or 1)`);
    return v;
  });
  return assemble({
    name: 'breast',
    x: { rows: n, cols: D, data: Float32Array.from(x.data) },
    labels,
    classNames: ['0', '1'],
    featureNames: Array.from({ length: D }, (_, j) => `f${j + 1}`),
    idx: split602020(n),
    files: [xf, yf],
  });
}
