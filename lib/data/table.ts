// Arrow tables → the dense Float32 matrices the trainer takes: feature columns chosen by type,
// targets as classes or regression values, nulls refused or imputed, splits, scaling fitted on train.
import { readFileSync } from 'node:fs';
import { DataType, tableFromIPC, type Table, type Vector } from 'apache-arrow';
import { IpcaeError, describe } from '../errors.js';
import { torchRandperm } from './random.js';

export type Task = 'classification' | 'regression' | 'reconstruction';
export type Scaling = 'none' | 'minmax' | 'standard';

export interface TablePrepOptions {
  target?: string;
  task?: Task;
  features?: string[];
  exclude?: string[];
  split?: { column?: string; fractions?: [number, number, number]; seed?: number };
  scaling?: Scaling;
  impute?: 'error' | 'mean';
}

export interface PreparedTable {
  featureNames: string[];
  task: Task;
  classes?: string[];
  targetWidth: number;
  scaling: { kind: Scaling; offset: number[]; scale: number[] };
  splits: Record<'train' | 'val' | 'test', { x: Float32Array; y?: Int32Array | Float32Array; rows: number[] }>;
}

const bad = (msg: string) => new IpcaeError('ERR_INVALID_ARGUMENT', msg);

/** Duck-typed: a Table from another copy of apache-arrow is still a Table. */
export function isArrowTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && 'schema' in v && typeof (v as Table).getChild === 'function';
}

export function readTable(input: Table | string): Table {
  if (typeof input !== 'string') {
    if (isArrowTable(input)) return input;
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected an apache-arrow Table or the path of an Arrow IPC file but received ${describe(input)}`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(input);
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `Cannot read Arrow IPC file ${input}: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw new IpcaeError('ERR_DATA', `${input}: the file is empty, expected an Arrow IPC file`);
  try {
    return tableFromIPC(bytes);
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${input}: not a readable Arrow IPC file (${(e as Error).message})`);
  }
}

function isNumeric(t: DataType): boolean {
  return DataType.isInt(t) || DataType.isFloat(t);
}

function numericColumn(v: Vector): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = v.get(i);
    out[i] = x === null || x === undefined ? NaN : Number(x);
  }
  return out;
}

export function prepareTable(table: Table, o: TablePrepOptions): PreparedTable {
  const names = table.schema.fields.map((f) => f.name);
  const has = (c: string) => names.includes(c);
  if (o.target !== undefined && !has(o.target)) throw bad(`Expected a column named '${o.target}' for target; the table has ${names.join(', ')}`);
  const splitCol = o.split?.column;
  if (splitCol !== undefined && !has(splitCol)) throw bad(`Expected a column named '${splitCol}' for split.column`);
  for (const c of [...(o.features ?? []), ...(o.exclude ?? [])]) if (!has(c)) throw bad(`Expected a column named '${c}' in the table (features/exclude)`);
  const skip = new Set([o.target, splitCol, ...(o.exclude ?? [])].filter((x): x is string => x !== undefined));
  let featureNames: string[];
  if (o.features) {
    featureNames = o.features;
    for (const f of featureNames) {
      const t = table.schema.fields.find((x) => x.name === f)!.type;
      if (!isNumeric(t)) throw bad(`Expected a numeric column for feature '${f}' but it is ${String(t)}: exclude it or encode it`);
    }
  } else {
    const strings = table.schema.fields.filter((f) => !skip.has(f.name) && (DataType.isUtf8(f.type) || DataType.isDictionary(f.type)));
    if (strings.length)
      throw bad(
        `Expected numeric feature columns but ${strings.map((f) => `'${f.name}'`).join(', ')} ${strings.length > 1 ? 'are' : 'is'} text: list them in exclude (or pass features)`,
      );
    featureNames = table.schema.fields.filter((f) => !skip.has(f.name) && isNumeric(f.type)).map((f) => f.name);
  }
  if (featureNames.length === 0) throw bad('Expected at least one numeric feature column; found none');
  const n = table.numRows;
  if (n === 0) throw bad('Expected a non-empty table');
  const D = featureNames.length;
  const cols = featureNames.map((f) => numericColumn(table.getChild(f)!));

  // nulls / non-finite values
  const nulls = featureNames.map((f, j) => [f, cols[j].reduce((c, v) => c + (Number.isNaN(v) ? 1 : 0), 0)] as const).filter(([, c]) => c > 0);
  for (const [j, col] of cols.entries())
    if (col.some((v) => v === Infinity || v === -Infinity)) throw bad(`Expected finite values in column '${featureNames[j]}' but found Inf`);
  if (nulls.length && (o.impute ?? 'error') === 'error')
    throw bad(`Expected no missing values but found ${nulls.map(([f, c]) => `${c} in '${f}'`).join(', ')}: set impute: 'mean' or clean the table`);

  // target
  let task: Task = o.task ?? 'reconstruction';
  let classes: string[] | undefined;
  let yClass: Int32Array | undefined;
  let yReg: Float64Array | undefined;
  if (o.target !== undefined) {
    const v = table.getChild(o.target)!;
    const t = v.type;
    const textual = DataType.isUtf8(t) || DataType.isDictionary(t) || DataType.isBool(t);
    if (!o.task) task = textual || DataType.isInt(t) ? 'classification' : 'regression';
    if (task === 'reconstruction') throw bad(`Expected no target for task 'reconstruction' but received target '${o.target}'`);
    const raw: unknown[] = [];
    for (let i = 0; i < n; i++) raw.push(v.get(i));
    if (raw.some((x) => x === null || x === undefined)) throw bad(`Expected no missing values in the target column '${o.target}'`);
    if (task === 'classification') {
      const keys = raw.map((x) => String(x));
      const distinct = [...new Set(keys)];
      const numericKeys = distinct.every((k) => k.trim() !== '' && !Number.isNaN(Number(k)));
      distinct.sort(numericKeys ? (a, b) => Number(a) - Number(b) : undefined);
      if (distinct.length < 2) throw bad(`Expected at least two classes in the target column '${o.target}' but found ${distinct.length}`);
      classes = distinct;
      const index = new Map(distinct.map((k, i) => [k, i]));
      yClass = Int32Array.from(keys, (k) => index.get(k)!);
    } else {
      if (textual) throw bad(`Expected a numeric target column for regression but '${o.target}' is ${String(t)}`);
      yReg = Float64Array.from(raw, (x) => Number(x));
      if (yReg.some((x) => !Number.isFinite(x))) throw bad(`Expected finite values in the target column '${o.target}'`);
    }
  } else if (o.task && o.task !== 'reconstruction') {
    throw bad(`Expected a target column for task '${o.task}'`);
  }

  // split
  const part = new Int8Array(n); // 0 train, 1 val, 2 test
  if (splitCol !== undefined) {
    const v = table.getChild(splitCol)!;
    for (let i = 0; i < n; i++) {
      const s = String(v.get(i));
      const p = s === 'train' ? 0 : s === 'val' || s === 'validation' ? 1 : s === 'test' ? 2 : -1;
      if (p < 0) throw bad(`Expected 'train', 'val' or 'test' in split column '${splitCol}' but found '${s}' (row ${i})`);
      part[i] = p;
    }
  } else {
    const f = o.split?.fractions ?? [0.6, 0.2, 0.2];
    if (f.length !== 3 || f.some((x) => !(x >= 0)) || Math.abs(f[0] + f[1] + f[2] - 1) > 1e-9)
      throw bad(`Expected three fractions summing to 1 for split.fractions but received [${f.join(', ')}]`);
    const perm = torchRandperm(n, o.split?.seed ?? 42);
    const nTrain = Math.floor(f[0] * n),
      nVal = Math.floor(f[1] * n);
    for (let i = 0; i < n; i++) part[perm[i]] = i < nTrain ? 0 : i < nTrain + nVal ? 1 : 2;
  }
  const rowsOf = (p: number) => Array.from({ length: n }, (_, i) => i).filter((i) => part[i] === p);
  const rows = { train: rowsOf(0), val: rowsOf(1), test: rowsOf(2) };
  for (const [k, r] of Object.entries(rows)) if (r.length === 0) throw bad(`Expected a non-empty ${k} split but it has no rows`);

  // imputation (train means) and scaling (fitted on train)
  const scaling = o.scaling ?? 'minmax';
  const offset: number[] = [],
    scale: number[] = [];
  for (let j = 0; j < D; j++) {
    const col = cols[j];
    let sum = 0,
      cnt = 0,
      lo = Infinity,
      hi = -Infinity;
    for (const i of rows.train)
      if (!Number.isNaN(col[i])) {
        sum += col[i];
        cnt++;
        lo = Math.min(lo, col[i]);
        hi = Math.max(hi, col[i]);
      }
    const mean = cnt ? sum / cnt : 0;
    for (let i = 0; i < n; i++) if (Number.isNaN(col[i])) col[i] = mean;
    if (scaling === 'minmax') {
      offset.push(lo);
      scale.push(hi > lo ? hi - lo : 1); // a constant column maps to 0
    } else if (scaling === 'standard') {
      let v = 0;
      for (const i of rows.train) v += (col[i] - mean) ** 2;
      const sd = Math.sqrt(v / Math.max(1, rows.train.length));
      offset.push(mean);
      scale.push(sd > 0 ? sd : 1);
    } else {
      offset.push(0);
      scale.push(1);
    }
  }
  const pack = (r: number[]) => {
    const x = new Float32Array(r.length * D);
    r.forEach((i, k) => {
      for (let j = 0; j < D; j++) x[k * D + j] = (cols[j][i] - offset[j]) / scale[j];
    });
    const y = yClass ? Int32Array.from(r, (i) => yClass![i]) : yReg ? Float32Array.from(r, (i) => yReg![i]) : undefined;
    return { x, y, rows: r };
  };
  return {
    featureNames,
    task,
    classes,
    targetWidth: task === 'regression' ? 1 : 0,
    scaling: { kind: scaling, offset, scale },
    splits: { train: pack(rows.train), val: pack(rows.val), test: pack(rows.test) },
  };
}
