// Smartphone HAR (UCI 240, "UCI HAR Dataset"): the official train files split 80/20 (random_split,
// seed 42), test = the official test files, min-max fitted on the whole official train file (docs/method.md §6).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IpcaeError } from '../errors.js';
import { torchRandperm } from '../tables/random.js';
import type { PreparedDataset } from './dataset.js';
import { sha256File } from '../files/hash.js';

/** The folder holding features.txt, train/ and test/: <dir>/har/UCI HAR Dataset, <dir>/UCI HAR Dataset, <dir>/har or <dir>. */
export function findHarRoot(dir: string): string {
  const candidates = [path.join(dir, 'har', 'UCI HAR Dataset'), path.join(dir, 'UCI HAR Dataset'), path.join(dir, 'har'), dir];
  const root = candidates.find((c) => existsSync(path.join(c, 'features.txt')) && existsSync(path.join(c, 'train', 'X_train.txt')));
  if (!root)
    throw new IpcaeError(
      'ERR_DATA',
      `Smartphone HAR: expected the UCI layout (features.txt, train/X_train.txt, train/y_train.txt, test/X_test.txt, test/y_test.txt) in one of ${candidates.join(', ')} (--data-dir or IPCAE_DATA; ipcae data fetch har)`,
    );
  return root;
}

function readText(file: string): string {
  if (!existsSync(file)) throw new IpcaeError('ERR_DATA', `Smartphone HAR: ${file} does not exist`);
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') throw new IpcaeError('ERR_DATA', `${file}: the file is empty`);
  return text;
}

const lines = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== '');

/** "<number> <name>" per line (features.txt, activity_labels.txt). */
function readNumbered(file: string): string[] {
  return lines(readText(file)).map((l, i) => {
    const m = /^\s*(\d+)\s+(.+?)\s*$/.exec(l);
    if (!m || Number(m[1]) !== i + 1) throw new IpcaeError('ERR_DATA', `${file}: line ${i + 1}: expected '${i + 1} <name>', found '${l.slice(0, 60)}'`);
    return m[2];
  });
}

/** Whitespace-separated rows of `width` numbers, as one row-major Float64Array. */
export function readMatrix(file: string, width: number): { data: Float64Array; rows: number } {
  const ls = lines(readText(file));
  const data = new Float64Array(ls.length * width);
  ls.forEach((l, r) => {
    const f = l.trim().split(/\s+/);
    if (f.length !== width) throw new IpcaeError('ERR_DATA', `${file}: line ${r + 1} has ${f.length} values, expected ${width} (one per line of features.txt)`);
    for (let j = 0; j < width; j++) {
      const v = Number(f[j]);
      if (!Number.isFinite(v)) throw new IpcaeError('ERR_DATA', `${file}: line ${r + 1}, value ${j + 1}: expected a finite number, found '${f[j]}'`);
      data[r * width + j] = v;
    }
  });
  return { data, rows: ls.length };
}

function readLabels(file: string, rows: number, classes: number, xFile: string): Int32Array {
  const ls = lines(readText(file));
  if (ls.length !== rows) throw new IpcaeError('ERR_DATA', `${file}: ${ls.length} labels, but ${xFile} has ${rows} rows`);
  return Int32Array.from(ls, (l, i) => {
    const v = Number(l.trim());
    if (!Number.isInteger(v) || v < 1 || v > classes) throw new IpcaeError('ERR_DATA', `${file}: line ${i + 1}: expected a label 1…${classes}, found '${l.trim()}'`);
    return v - 1;
  });
}

/** features.txt repeats some names (the bandsEnergy groups): later repeats get "#<number>". */
export function uniqueFeatureNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n, i) => {
    const name = seen.has(n) ? `${n}#${i + 1}` : n;
    seen.add(n);
    return name;
  });
}

export function prepareHar(dir: string): PreparedDataset {
  const root = findHarRoot(dir);
  const f = (...p: string[]) => path.join(root, ...p);
  const rawNames = readNumbered(f('features.txt'));
  const labelsFile = f('activity_labels.txt');
  const classNames = existsSync(labelsFile) ? readNumbered(labelsFile) : ['WALKING', 'WALKING_UPSTAIRS', 'WALKING_DOWNSTAIRS', 'SITTING', 'STANDING', 'LAYING'];
  const D = rawNames.length;
  const tr = readMatrix(f('train', 'X_train.txt'), D);
  const te = readMatrix(f('test', 'X_test.txt'), D);
  const trY = readLabels(f('train', 'y_train.txt'), tr.rows, classNames.length, f('train', 'X_train.txt'));
  const teY = readLabels(f('test', 'y_test.txt'), te.rows, classNames.length, f('test', 'X_test.txt'));
  if (tr.rows < 2) throw new IpcaeError('ERR_DATA', `${f('train', 'X_train.txt')}: expected at least 2 rows`);
  if (new Set(trY).size < 2) throw new IpcaeError('ERR_DATA', `${f('train', 'y_train.txt')}: every label is the same class; expected at least two`);
  const lo = new Float64Array(D).fill(Infinity),
    hi = new Float64Array(D).fill(-Infinity);
  for (let i = 0; i < tr.rows; i++)
    for (let j = 0; j < D; j++) {
      const v = tr.data[i * D + j];
      if (v < lo[j]) lo[j] = v;
      if (v > hi[j]) hi[j] = v;
    }
  // A constant column (min = max) maps to 0 rather than dividing by zero.
  const scale = (v: number, j: number) => (hi[j] > lo[j] ? (v - lo[j]) / (hi[j] - lo[j]) : 0);
  const pack = (m: { data: Float64Array }, labels: Int32Array, rows: number[]) => {
    const x = new Float32Array(rows.length * D);
    const y = new Int32Array(rows.length);
    rows.forEach((i, r) => {
      y[r] = labels[i];
      for (let j = 0; j < D; j++) x[r * D + j] = scale(m.data[i * D + j], j);
    });
    return { x, y };
  };
  const perm = torchRandperm(tr.rows, 42);
  const nTrain = Math.floor(0.8 * tr.rows); // 5881 of 7352, as published
  const train = Array.from(perm.subarray(0, nTrain));
  const val = Array.from(perm.subarray(nTrain));
  const test = Array.from({ length: te.rows }, (_, i) => i);
  const files = [f('features.txt'), f('train', 'X_train.txt'), f('train', 'y_train.txt'), f('test', 'X_test.txt'), f('test', 'y_test.txt')];
  return {
    name: 'har',
    featureNames: uniqueFeatureNames(rawNames),
    classNames,
    inputDim: D,
    classes: classNames.length,
    train: pack(tr, trY, train),
    val: pack(tr, trY, val),
    test: pack(te, teY, test),
    indices: { train, val, test },
    sources: files.map((file) => ({ file, sha256: sha256File(file) })),
  };
}
