// The paper's datasets from their original files, prepared as docs/method.md §6 says: split sizes, the
// published split indices (torch random_split, seed 42), scaling fitted where the paper fitted it.
import { existsSync } from 'node:fs';
import { readRawFile } from './raw.js';
import path from 'node:path';
import { IpcaeError } from '../errors.js';
import { readIdx } from './idx.js';
import { readMat } from './mat.js';
import { torchRandperm } from '../tables/random.js';
import type { PreparedDataset } from './dataset.js';
import { sha256File } from '../files/hash.js';

/** Where Debian's dataset-* packages put their files (dataset-fashion-mnist: <here>/fashion-mnist/*.gz). */
export const systemDatasets = () => process.env.IPCAE_SYSTEM_DATASETS ?? '/usr/share/datasets';

/** Finds `names` (first that exists) in dir/<dataset>/ or dir/, then in the system's dataset folder. */
export function findFile(dir: string, dataset: string, names: string[]): string {
  for (const d of [path.join(dir, dataset), dir, path.join(systemDatasets(), dataset)])
    for (const n of names) {
      const p = path.join(d, n);
      if (existsSync(p)) return p;
    }
  throw new IpcaeError('ERR_DATA', `${dataset}: expected one of ${names.join(', ')} in ${path.join(dir, dataset)} or ${dir} (--data-dir or IPCAE_DATA)`);
}

function pack(x: Float64Array | Float32Array, D: number, labels: ArrayLike<number>, rows: number[], transform: (v: number, j: number) => number) {
  const out = new Float32Array(rows.length * D);
  const y = new Int32Array(rows.length);
  rows.forEach((i, r) => {
    y[r] = labels[i];
    for (let j = 0; j < D; j++) out[r * D + j] = transform(x[i * D + j], j);
  });
  return { x: out, y };
}

const pixelNames = (side: number, columnMajor = false) =>
  Array.from({ length: side * side }, (_, i) => (columnMajor ? `pixel_${i % side}_${Math.floor(i / side)}` : `pixel_${Math.floor(i / side)}_${i % side}`));

/** MNIST / Fashion-MNIST: 9000 of the 60k train images (seed 42) split 7200/1800; 1500 of the 10k test images. */
export function prepareMnistLike(dir: string, dataset: 'mnist' | 'fashion-mnist'): PreparedDataset {
  const [mean, std] = dataset === 'mnist' ? [0.1306, 0.308] : [0.2873, 0.3529];
  const f = (n: string) => findFile(dir, dataset, [`${n}.gz`, n]);
  const files = [f('train-images-idx3-ubyte'), f('train-labels-idx1-ubyte'), f('t10k-images-idx3-ubyte'), f('t10k-labels-idx1-ubyte')];
  const [trX, trY, teX, teY] = files.map(readIdx);
  for (const [a, b, name] of [[trX, trY, files[0]], [teX, teY, files[2]]] as const) {
    if (a.dims.length !== 3 || a.dims[1] !== 28 || a.dims[2] !== 28) throw new IpcaeError('ERR_DATA', `${name}: expected N×28×28 images`);
    if (b.dims[0] !== a.dims[0]) throw new IpcaeError('ERR_DATA', `${name}: ${a.dims[0]} images but ${b.dims[0]} labels`);
  }
  const pool = Array.from(torchRandperm(trX.dims[0], 42).subarray(0, 9000));
  const r2 = torchRandperm(9000, 42);
  const train = Array.from(r2.subarray(0, 7200), (i) => pool[i]);
  const val = Array.from(r2.subarray(7200, 9000), (i) => pool[i]);
  const test = Array.from(torchRandperm(teX.dims[0], 42).subarray(0, 1500));
  const D = 784;
  const norm = (v: number) => (v / 255 - mean) / std;
  const tr = Float64Array.from(trX.data),
    te = Float64Array.from(teX.data);
  return {
    name: dataset,
    featureNames: pixelNames(28),
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    inputDim: D,
    classes: 10,
    train: pack(tr, D, trY.data, train, norm),
    val: pack(tr, D, trY.data, val, norm),
    test: pack(te, D, teY.data, test, norm),
    indices: { train, val, test },
    sources: files.map((file) => ({ file, sha256: sha256File(file) })),
  };
}

/** COIL-20 (scikit-feature's COIL20.mat): 60/20/20 with random_split(seed 42), values as stored. */
export function prepareCoil20(dir: string): PreparedDataset {
  const file = findFile(dir, 'coil20', ['COIL20.mat']);
  const m = readMat(file);
  if (!m.X || !m.Y) throw new IpcaeError('ERR_DATA', `${file}: expected variables X and Y, found ${Object.keys(m).join(', ') || 'none'}`);
  const n = m.X.rows,
    D = m.X.cols;
  if (m.Y.rows !== n) throw new IpcaeError('ERR_DATA', `${file}: X has ${n} rows but Y has ${m.Y.rows}`);
  const labels = Int32Array.from(m.Y.data, (v) => v - 1);
  const classes = new Set(labels).size;
  if (classes < 2) throw new IpcaeError('ERR_DATA', `${file}: Y holds ${classes} class`);
  const r = torchRandperm(n, 42);
  const nTrain = Math.round(0.6 * n),
    nVal = Math.round(0.2 * n);
  const idx = { train: Array.from(r.subarray(0, nTrain)), val: Array.from(r.subarray(nTrain, nTrain + nVal)), test: Array.from(r.subarray(nTrain + nVal)) };
  const id = (v: number) => v;
  return {
    name: 'coil20',
    featureNames: pixelNames(Math.round(Math.sqrt(D)), true),
    classNames: Array.from({ length: classes }, (_, i) => String(i + 1)),
    inputDim: D,
    classes,
    train: pack(m.X.data, D, labels, idx.train, id),
    val: pack(m.X.data, D, labels, idx.val, id),
    test: pack(m.X.data, D, labels, idx.test, id),
    indices: idx,
    sources: [{ file, sha256: sha256File(file) }],
  };
}

interface IsoletPart {
  fea: { rows: number; cols: number; data: Float64Array | Float32Array };
  gnd: { rows: number; data: ArrayLike<number> };
}

/** UCI's text form: 618 comma-separated values per line (617 features, then the class 1…26, e.g. "1."); plain, .gz or .Z. */
export function readIsoletText(file: string): IsoletPart {
  // Blank lines are skipped; messages give each row's line in the file.
  const all = readRawFile(file, 'ISOLET').toString('latin1').split(/\r?\n/);
  const lineNo: number[] = [];
  const lines = all.filter((l, i) => l.trim() !== '' && lineNo.push(i + 1) > 0);
  if (lines.length === 0) throw new IpcaeError('ERR_DATA', `${file}: no data rows (a truncated or empty file)`);
  const D = 617;
  const data = new Float64Array(lines.length * D);
  const gnd = new Int32Array(lines.length);
  lines.forEach((l, r) => {
    const f = l.split(',');
    if (f.length !== D + 1) throw new IpcaeError('ERR_DATA', `${file}: line ${lineNo[r]} has ${f.length} values, expected 618 (617 features and the class): a ragged or shifted row`);
    for (let j = 0; j < D; j++) {
      const v = Number(f[j]);
      if (!Number.isFinite(v) || f[j].trim() === '') throw new IpcaeError('ERR_DATA', `${file}: line ${lineNo[r]}, column ${j + 1}: expected a number, found '${f[j].trim()}'`);
      data[r * D + j] = v;
    }
    const c = Number(f[D]);
    if (!Number.isInteger(c) || c < 1 || c > 26) throw new IpcaeError('ERR_DATA', `${file}: line ${lineNo[r]}: expected a class 1…26 in column 618, found '${f[D].trim()}'`);
    gnd[r] = c;
  });
  return { fea: { rows: lines.length, cols: D, data }, gnd: { rows: lines.length, data: gnd } };
}

function loadIsoletMat(f: string): IsoletPart {
  const m = readMat(f);
  if (!m.fea || !m.gnd) throw new IpcaeError('ERR_DATA', `${f}: expected variables fea and gnd, found ${Object.keys(m).join(', ') || 'none'}`);
  if (m.fea.cols !== 617) throw new IpcaeError('ERR_DATA', `${f}: expected 617 features, found ${m.fea.cols}`);
  if (m.gnd.rows !== m.fea.rows) throw new IpcaeError('ERR_DATA', `${f}: fea has ${m.fea.rows} rows but gnd has ${m.gnd.rows}`);
  return { fea: m.fea, gnd: m.gnd };
}

const tryFind = (dir: string, names: string[]) => {
  try {
    return findFile(dir, 'isolet', names);
  } catch {
    return undefined;
  }
};

/**
 * ISOLET's raw files in dir: the per-group MATLAB files (Isolet1–4.mat, isolet5.mat) when all are
 * there, else UCI's text files (isolet1+2+3+4.data[.Z] / isolet5.data[.Z], or the same layout as
 * .csv[.gz]); undefined when neither set is complete.
 */
export function findIsoletFiles(dir: string): { parts: string[]; testFile: string; load: (f: string) => IsoletPart } | undefined {
  const matParts = ['Isolet1.mat', 'Isolet2.mat', 'Isolet3.mat', 'Isolet4.mat'].map((n) => tryFind(dir, [n]));
  const matTest = tryFind(dir, ['isolet5.mat', 'Isolet5.mat']);
  if (matParts.every(Boolean) && matTest) return { parts: matParts as string[], testFile: matTest, load: loadIsoletMat };
  const text = (stem: string) => [`${stem}.data`, `${stem}.data.Z`, `${stem}.data.gz`, `${stem}.csv`, `${stem}.csv.gz`];
  const pool = tryFind(dir, text('isolet1+2+3+4'));
  const t5 = tryFind(dir, text('isolet5'));
  return pool && t5 ? { parts: [pool], testFile: t5, load: readIsoletText } : undefined;
}

/** ISOLET: isolet1–4 split 80/20 (seed 42), test isolet5, min-max fitted on isolet1–4. */
export function prepareIsolet(dir: string): PreparedDataset {
  const found = findIsoletFiles(dir);
  if (!found)
    throw new IpcaeError(
      'ERR_DATA',
      `isolet: expected Isolet1.mat … Isolet4.mat and isolet5.mat, or UCI's isolet1+2+3+4.data(.Z) and isolet5.data(.Z) (or .csv[.gz]), in ${path.join(dir, 'isolet')} or ${dir} (--data-dir or IPCAE_DATA; ipcae data fetch isolet)`,
    );
  const { parts, testFile, load } = found;
  const pool = parts.map(load);
  const n = pool.reduce((a, m) => a + m.fea.rows, 0);
  const D = 617;
  const x = new Float64Array(n * D);
  const y = new Int32Array(n);
  let o = 0;
  for (const m of pool) {
    x.set(m.fea.data, o * D);
    for (let i = 0; i < m.gnd.rows; i++) y[o + i] = m.gnd.data[i] - 1;
    o += m.fea.rows;
  }
  const t = load(testFile);
  const lo = new Float64Array(D).fill(Infinity),
    hi = new Float64Array(D).fill(-Infinity);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < D; j++) {
      lo[j] = Math.min(lo[j], x[i * D + j]);
      hi[j] = Math.max(hi[j], x[i * D + j]);
    }
  const scale = (v: number, j: number) => (hi[j] > lo[j] ? (v - lo[j]) / (hi[j] - lo[j]) : 0);
  const r = torchRandperm(n, 42);
  const train = Array.from(r.subarray(0, Math.floor(0.8 * n))); // 4990 of 6238, as published
  const val = Array.from(r.subarray(train.length));
  const test = Array.from({ length: t.fea.rows }, (_, i) => i);
  const ty = Int32Array.from(t.gnd.data, (v) => v - 1);
  return {
    name: 'isolet',
    featureNames: Array.from({ length: D }, (_, j) => `f${j + 1}`),
    classNames: Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i)),
    inputDim: D,
    classes: 26,
    train: pack(x, D, y, train, scale),
    val: pack(x, D, y, val, scale),
    test: pack(t.fea.data, D, ty, test, scale),
    indices: { train, val, test },
    sources: [...parts, testFile].map((file) => ({ file, sha256: sha256File(file) })),
  };
}
