// Loads a dataset for a run: a named paper dataset (through its Arrow cache) or a user's Arrow IPC file.
import path from 'node:path';
import type { PreparedDataset } from './dataset.js';
import { sha256File } from '../files/hash.js';
import { prepareTable, readTable } from './table.js';
import { loadNamedDataset } from './registry.js';
import { IpcaeError } from '../errors.js';

export interface TableOptions {
  target?: string;
  exclude?: string[];
  splitColumn?: string;
  task: 'classification' | 'reconstruction';
}

export const isArrowFile = (name: string) => /\.(arrow|ipc|feather)$/i.test(name);

/** A user's Arrow IPC file as a prepared dataset (min-max scaling fitted on train, 60/20/20 unless a split column is given). */
export function loadArrowDataset(file: string, o: TableOptions): PreparedDataset {
  if (o.task === 'classification' && !o.target)
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --target <column> for a classification run on ${file} (or --task reconstruction)`);
  const prep = prepareTable(readTable(file), {
    target: o.task === 'classification' ? o.target : undefined,
    task: o.task,
    exclude: [...(o.exclude ?? []), ...(o.task === 'reconstruction' && o.target ? [o.target] : [])],
    split: o.splitColumn ? { column: o.splitColumn } : undefined,
  });
  const D = prep.featureNames.length;
  const y = (s: { y?: Int32Array | Float32Array; rows: number[] }) => (s.y as Int32Array | undefined) ?? new Int32Array(s.rows.length);
  return {
    name: path.basename(file),
    featureNames: prep.featureNames,
    classNames: prep.classes ?? [],
    inputDim: D,
    classes: prep.classes?.length ?? 0,
    train: { x: prep.splits.train.x, y: y(prep.splits.train) },
    val: { x: prep.splits.val.x, y: y(prep.splits.val) },
    test: { x: prep.splits.test.x, y: y(prep.splits.test) },
    indices: { train: prep.splits.train.rows, val: prep.splits.val.rows, test: prep.splits.test.rows },
    sources: [{ file: path.resolve(file), sha256: sha256File(file) }],
  };
}

export function loadDataset(name: string, dir: string, table?: TableOptions): PreparedDataset {
  if (isArrowFile(name)) return loadArrowDataset(name, table ?? { task: 'classification' });
  return loadNamedDataset(name, dir);
}

