// Loads a dataset for a run: a named paper dataset (through its Arrow cache) or a user's table file
// (Arrow IPC, Parquet, CSV/TSV — recognised by content).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PreparedDataset } from './dataset.js';
import { sha256FileAsync } from '../files/hash.js';
import { readAndPrepare } from '../tables/read-async.js';
import { loadNamedDataset, DATASET_REGISTRY } from './registry.js';
import { IpcaeError } from '../errors.js';
import type { IgnoredColumn, Task } from '../tables/table.js';

export interface TableOptions {
  target?: string;
  exclude?: string[];
  splitColumn?: string;
  task: Task;
  /** The task was given (--task or a config file); otherwise the target's type decides, and must agree. */
  taskGiven?: boolean;
  impute?: 'error' | 'mean';
  categorical?: 'error' | 'onehot';
  /** Stops reading the file (ERR_CANCELLED): a SIGTERM never waits for a long parse. */
  signal?: AbortSignal;
}

/** A --dataset that names a file rather than a registered dataset (its format is found by content). */
export const isTableFile = (name: string) => !(name in DATASET_REGISTRY) && (/[\\/]|\.[A-Za-z0-9]+$/.test(name) || existsSync(name));

/** A user's table file as a prepared dataset (min-max scaling fitted on train, 60/20/20 unless a split column is given). */
export async function loadTableDataset(file: string, o: TableOptions): Promise<PreparedDataset & { ignored: IgnoredColumn[] }> {
  if (o.task !== 'reconstruction' && !o.target)
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected --target <column> for a ${o.task} run on ${file} (or --task reconstruction)`);
  const infer = o.task === 'classification' && o.taskGiven === false;
  const { prep, meta } = await readAndPrepare(file, {
    target: o.task === 'reconstruction' ? undefined : o.target,
    task: infer ? undefined : o.task,
    exclude: [...(o.exclude ?? []), ...(o.task === 'reconstruction' && o.target ? [o.target] : [])],
    split: o.splitColumn ? { column: o.splitColumn } : undefined,
    impute: o.impute,
    categorical: o.categorical,
  }, o.signal);
  if (infer && prep.task !== 'classification')
    throw new IpcaeError(
      'ERR_INVALID_ARGUMENT',
      `Expected a classification target but the target '${o.target}' is ${prep.targetType ?? 'a number'} with non-integer values (a regression target): ` +
        'pass --task regression, or --task classification to treat each value as a class',
    );
  const D = prep.featureNames.length;
  const y = (s: { y?: Int32Array | Float32Array; rows: number[] }) => s.y ?? new Int32Array(s.rows.length);
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
    sources: [{ file: path.resolve(file), sha256: await sha256FileAsync(file) }],
    ignored: [...meta.dropped, ...prep.ignored],
  };
}

export async function loadDataset(name: string, dir: string, table?: TableOptions): Promise<PreparedDataset & { ignored?: IgnoredColumn[] }> {
  if (isTableFile(name)) return loadTableDataset(name, table ?? { task: 'classification' });
  return loadNamedDataset(name, dir);
}
