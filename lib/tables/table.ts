// Arrow tables → the dense Float32 matrices the trainer takes. Columns are chosen by the type policy
// (columns.ts; docs/tables.md's table); a column that is not used is reported with its reason, never
// dropped silently. The target decides the task; splits; scaling fitted on the training rows.
// The work is a generator that yields between column blocks, so the async form keeps the event
// loop free on large tables.
import type { Table, Vector } from 'apache-arrow';
import { IpcaeError } from '../errors.js';
import { torchRandperm } from './random.js';
import { columnPolicy, isFloatType, isTextType, numericColumn, numericValues, textColumn, typeName } from './columns.js';
import { DataType } from 'apache-arrow';

import type { Task } from '../task.js';
export type { Task } from '../task.js';
export type Scaling = 'none' | 'minmax' | 'standard';

export interface TablePrepOptions {
  target?: string;
  /** Explicit task; otherwise the target's type decides (docs/tables.md: targets). */
  task?: Task;
  features?: string[];
  exclude?: string[];
  split?: { column?: string; fractions?: [number, number, number]; seed?: number };
  scaling?: Scaling;
  impute?: 'error' | 'mean';
  /** Text and dictionary columns: an error (default) or one-hot encoded as features 'column=value'. */
  categorical?: 'error' | 'onehot';
}

export interface IgnoredColumn {
  column: string;
  reason: string;
}

export interface OneHotEncoding {
  column: string;
  categories: string[];
}

export interface PreparedTable {
  featureNames: string[];
  task: Task;
  classes?: string[];
  targetWidth: number;
  scaling: { kind: Scaling; offset: number[]; scale: number[] };
  /** Columns of the table that are not features, with why. */
  ignored: IgnoredColumn[];
  /** Categorical columns expanded into one-hot features. */
  encodings: OneHotEncoding[];
  /** The target column's type as docs/tables.md's table names it. */
  targetType?: string;
  splits: Record<'train' | 'val' | 'test', { x: Float32Array; y?: Int32Array | Float32Array; rows: number[] }>;
}

const bad = (msg: string) => new IpcaeError('ERR_INVALID_ARGUMENT', msg);
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
/** About this many cells of work between yields of the async form. */
const CELLS_PER_SLICE = 1 << 18;
const COLUMN_BLOCK = 8;

/** A text column whose every present value is a number (e.g. '12', '-3.50', '1e-3'). */
function textHoldsNumbers(v: Vector): boolean {
  let seen = 0;
  for (const x of textColumn(v)) {
    if (x === null) continue;
    const t = x.trim();
    if (t === '' || !Number.isFinite(Number(t))) return false;
    seen++;
  }
  return seen > 0;
}

export function prepareTable(table: Table, o: TablePrepOptions): PreparedTable {
  const steps = prepareSteps(table, o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** prepareTable in slices: the event loop runs between them. */
export async function prepareTableAsync(table: Table, o: TablePrepOptions): Promise<PreparedTable> {
  const steps = prepareSteps(table, o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One-hot categories of a text column: sorted, nulls left out (a null row is missing in every indicator). */
function categoriesOf(v: Vector): string[] {
  return [...new Set(textColumn(v).filter((x): x is string => x !== null))].sort();
}

function* prepareSteps(table: Table, o: TablePrepOptions): Generator<void, PreparedTable> {
  const fields = table.schema.fields;
  const names = fields.map((f) => f.name);
  // name → column index: every lookup is O(1) (a table may have a million columns)
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  const has = (c: string) => index.has(c);
  const col = (c: string) => table.getChildAt(index.get(c)!)!;
  if (o.target !== undefined && !has(o.target)) throw bad(`Expected a column named '${o.target}' for target; the table has ${list(names)}`);
  const splitCol = o.split?.column;
  if (splitCol !== undefined && !has(splitCol)) throw bad(`Expected a column named '${splitCol}' for split.column; the table has ${list(names)}`);
  for (const [key, cols] of [
    ['features', o.features ?? []],
    ['exclude', o.exclude ?? []],
  ] as const) {
    const missing = cols.filter((c) => !has(c));
    if (missing.length) throw bad(`Expected ${key} to name columns of the table but ${list(missing)} ${missing.length > 1 ? 'are' : 'is'} not among ${list(names)}`);
  }
  const n = table.numRows;
  if (n === 0) throw bad('Expected a non-empty table (it has no rows)');
  const onehot = o.categorical === 'onehot';

  // --- which columns are features (the type policy), and why the others are not
  const ignored: IgnoredColumn[] = [];
  const role = new Map<string, string>();
  if (o.target !== undefined) role.set(o.target, 'the target');
  if (splitCol !== undefined) role.set(splitCol, 'the split column');
  for (const c of o.exclude ?? []) if (!role.has(c)) role.set(c, 'excluded');
  const chosen = o.features ? new Set(o.features) : undefined;
  for (const c of o.features ?? []) if (role.has(c)) throw bad(`Expected features not to include ${role.get(c)} ('${c}')`);
  const numeric = new Set<string>();
  const categorical = new Set<string>();
  const refusedText: string[] = [];
  const refused: string[] = [];
  for (const f of fields) {
    if (role.has(f.name)) {
      ignored.push({ column: f.name, reason: role.get(f.name)! });
      continue;
    }
    if (chosen && !chosen.has(f.name)) {
      ignored.push({ column: f.name, reason: 'not listed in features' });
      continue;
    }
    const p = columnPolicy(f.type);
    if (p.kind === 'numeric') numeric.add(f.name);
    else if (p.kind === 'category') {
      if (onehot) categorical.add(f.name);
      else refusedText.push(f.name);
    }
    else if (p.kind === 'null' && !chosen) ignored.push({ column: f.name, reason: p.reason! });
    else refused.push(`'${f.name}' (${p.reason})`);
  }
  if (refusedText.length) {
    // Numbers written as text (DuckDB's JSON rows give BIGINT and DECIMAL as strings; a CSV export
    // that quotes everything): say so, and that a cast — not one-hot encoding — is the cure.
    const numbersAsText = refusedText.filter((c) => textHoldsNumbers(table.getChildAt(fields.findIndex((f) => f.name === c))!));
    if (numbersAsText.length)
      throw bad(
        `Expected numeric feature columns but ${list(numbersAsText)} ${numbersAsText.length > 1 ? 'hold' : 'holds'} numbers written as text ` +
          `(DuckDB's JSON rows give BIGINT and DECIMAL so): cast ${numbersAsText.length > 1 ? 'them' : 'it'} to numbers (SQL CAST(… AS DOUBLE), or Number() in JS) before fitting` +
          (numbersAsText.length < refusedText.length ? `; ${list(refusedText.filter((c) => !numbersAsText.includes(c)))} text (a category): exclude or one-hot encode` : ''),
      );
    throw bad(
      `Expected numeric feature columns but ${list(refusedText)} ${refusedText.length > 1 ? 'are' : 'is'} text (a category): ` +
        `list ${refusedText.length > 1 ? 'them' : 'it'} in exclude (--exclude), or set categorical: 'onehot' (--categorical onehot) to encode ${refusedText.length > 1 ? 'them' : 'it'}`,
    );
  }
  if (refused.length) throw bad(`Expected numeric feature columns but ${refused.join('; ')}`);
  // Features keep the table's column order; a one-hot column becomes 'column=value' for each value.
  const encodings: OneHotEncoding[] = [];
  const sources: { name: string; values: () => Float32Array | Float64Array }[] = [];
  for (const f of fields) {
    if (numeric.has(f.name)) sources.push({ name: f.name, values: () => numericValues(col(f.name)) });
    else if (categorical.has(f.name)) {
      const v = col(f.name);
      const cats = categoriesOf(v);
      encodings.push({ column: f.name, categories: cats });
      const text = textColumn(v);
      for (const c of cats)
        sources.push({ name: `${f.name}=${c}`, values: () => Float64Array.from(text, (t) => (t === null ? NaN : t === c ? 1 : 0)) });
    }
  }
  const featureNames = sources.map((s) => s.name);
  if (featureNames.length === 0) throw bad(`Expected at least one numeric feature column; found none among ${list(names)}`);
  const seen = new Set<string>();
  const clash = featureNames.filter((f) => seen.size === seen.add(f).size);
  if (clash.length) throw bad(`Expected distinct feature names but one-hot encoding makes ${list([...new Set(clash)])} twice`);
  const D = featureNames.length;

  // --- split (it never depends on the target)
  const part = new Int8Array(n); // 0 train, 1 val, 2 test
  if (splitCol !== undefined) {
    const s = textColumn(col(splitCol));
    for (let i = 0; i < n; i++) {
      const p = s[i] === 'train' ? 0 : s[i] === 'val' || s[i] === 'validation' ? 1 : s[i] === 'test' ? 2 : -1;
      if (p < 0) throw bad(`Expected 'train', 'val' or 'test' in split column '${splitCol}' but found '${s[i]}' (row ${i})`);
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
  const rowsOf = (p: number) => {
    const r: number[] = [];
    for (let i = 0; i < n; i++) if (part[i] === p) r.push(i);
    return r;
  };
  const rows = { train: rowsOf(0), val: rowsOf(1), test: rowsOf(2) };
  for (const [k, r] of Object.entries(rows)) if (r.length === 0) throw bad(`Expected a non-empty ${k} split but it has no rows (${n} rows in the table)`);

  // --- target and task
  let task: Task = o.task ?? 'reconstruction';
  let classes: string[] | undefined;
  let yClass: Int32Array | undefined;
  let yReg: Float64Array | undefined;
  if (o.target !== undefined) {
    const v = col(o.target);
    const t = v.type as DataType;
    const p = columnPolicy(t);
    if (p.kind === 'unsupported' || p.kind === 'null') throw bad(`Expected a target column of numbers, text or bool but '${o.target}' is ${p.typeName}`);
    let values: Float64Array | undefined;
    if (!o.task) {
      if (isTextType(t) || DataType.isBool(t) || DataType.isInt(t)) task = 'classification';
      else if (isFloatType(t)) {
        values = numericColumn(v);
        task = values.every((x) => Number.isNaN(x) || Number.isInteger(x)) ? 'classification' : 'regression';
      }
    }
    if (task === 'reconstruction') throw bad(`Expected no target for task 'reconstruction' but received target '${o.target}'`);
    if (v.nullCount > 0) throw bad(`Expected no missing values in the target column '${o.target}' but ${v.nullCount} row(s) have none`);
    if (task === 'classification') {
      const keys = textColumn(v) as string[];
      const distinct = [...new Set(keys)];
      const numericKeys = distinct.every((k) => k.trim() !== '' && !Number.isNaN(Number(k)));
      distinct.sort(numericKeys ? (a, b) => Number(a) - Number(b) : undefined);
      if (distinct.length < 2)
        throw bad(`Expected at least two classes in the target column '${o.target}' but every row is '${distinct[0]}': nothing to classify`);
      const limit = Math.floor(rows.train.length / 2);
      if (distinct.length > limit && o.task !== 'classification')
        throw bad(
          `Expected a classification target but '${o.target}' (${typeName(t)}) has ${distinct.length} distinct values for ${rows.train.length} training rows ` +
            `(more than half): a continuous target? Set task: 'regression' (--task regression), or task: 'classification' (--task classification) to keep it`,
        );
      classes = distinct;
      const index = new Map(distinct.map((k, i) => [k, i]));
      yClass = Int32Array.from(keys, (k) => index.get(k)!);
    } else {
      if (p.kind !== 'numeric') throw bad(`Expected a numeric target column for regression but '${o.target}' is ${p.typeName}`);
      yReg = values ?? numericColumn(v);
      if (yReg.some((x) => !Number.isFinite(x))) throw bad(`Expected finite values in the target column '${o.target}'`);
    }
  } else if (o.task && o.task !== 'reconstruction') {
    throw bad(`Expected a target column for task '${o.task}'`);
  }
  yield;

  // --- features: per block of columns, values → nulls → imputation → scaling → the split matrices
  const scaling = o.scaling ?? 'minmax';
  const impute = o.impute ?? 'error';
  const offset: number[] = new Array(D),
    scale: number[] = new Array(D);
  const out = {
    train: new Float32Array(rows.train.length * D),
    val: new Float32Array(rows.val.length * D),
    test: new Float32Array(rows.test.length * D),
  };
  const rowIdx = { train: Int32Array.from(rows.train), val: Int32Array.from(rows.val), test: Int32Array.from(rows.test) };
  const missing: string[] = [];
  let work = 0;
  for (let j0 = 0; j0 < D; j0 += COLUMN_BLOCK) {
    const j1 = Math.min(D, j0 + COLUMN_BLOCK);
    const block: (Float32Array | Float64Array)[] = [];
    for (let j = j0; j < j1; j++) {
      let c = sources[j].values();
      const st = columnStats(c, rowIdx.train, rowIdx.val, rowIdx.test);
      if (st.inf !== 0) throw bad(`Expected finite values in column '${featureNames[j]}' but found ${st.inf > 0 ? 'Inf' : '-Inf'} (row ${st.infRow})`);
      if (st.nulls) missing.push(`${st.nulls} in '${featureNames[j]}'`);
      const mean = st.cnt ? st.sum / st.cnt : 0;
      if (st.nulls && impute === 'mean' && st.cnt === 0)
        throw bad(
          `Expected values to impute column '${featureNames[j]}' from, but it has none in the ${rows.train.length} training rows (a column without measurements): list it in exclude (--exclude)`,
        );
      if (st.nulls && impute === 'mean') {
        c = c instanceof Float64Array ? c : Float64Array.from(c); // never write into the caller's table
        for (let i = 0; i < n; i++) if (c[i] !== c[i]) c[i] = mean;
      }
      if (scaling === 'minmax') {
        offset[j] = st.cnt ? st.lo : 0;
        scale[j] = st.hi > st.lo ? st.hi - st.lo : 1; // a constant column maps to 0
      } else if (scaling === 'standard') {
        const sd = Math.sqrt(sumSquares(c, rowIdx.train, mean) / Math.max(1, rowIdx.train.length));
        offset[j] = mean;
        scale[j] = sd > 0 ? sd : 1;
      } else {
        offset[j] = 0;
        scale[j] = 1;
      }
      block.push(c);
    }
    if (missing.length && impute === 'error') continue; // reported after every column is counted
    const w = j1 - j0;
    for (const s of ['train', 'val', 'test'] as const) writeBlock(out[s], D, j0, block, offset, scale, rowIdx[s]);
    work += n * w;
    if (work >= CELLS_PER_SLICE) {
      work = 0;
      yield;
    }
  }
  if (missing.length && impute === 'error')
    throw bad(`Expected no missing values but found ${missing.join(', ')}: set impute: 'mean' (--impute mean) or clean the table`);

  const pack = (s: 'train' | 'val' | 'test') => {
    const r = rows[s];
    const y = yClass ? Int32Array.from(r, (i) => yClass![i]) : yReg ? Float32Array.from(r, (i) => yReg![i]) : undefined;
    return { x: out[s], y, rows: r };
  };
  return {
    featureNames,
    task,
    classes,
    targetWidth: task === 'regression' ? 1 : 0,
    scaling: { kind: scaling, offset, scale },
    ignored,
    encodings,
    targetType: o.target !== undefined ? typeName(col(o.target).type as DataType) : undefined,
    splits: { train: pack('train'), val: pack('val'), test: pack('test') },
  };
}

/**
 * One read of each value: over the training rows sum / count / min / max, and over every row the
 * nulls (NaN) and the first infinity.
 */
function columnStats(c: Float32Array | Float64Array, train: Int32Array, val: Int32Array, test: Int32Array) {
  let nulls = 0,
    inf = 0,
    infRow = -1,
    sum = 0,
    cnt = 0,
    lo = Infinity,
    hi = -Infinity;
  for (let k = 0; k < train.length; k++) {
    const x = c[train[k]];
    if (x - x === 0) {
      sum += x;
      cnt++;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    } else if (x !== x) nulls++;
    else if (inf === 0) {
      inf = x;
      infRow = train[k];
    }
  }
  for (const r of [val, test])
    for (let k = 0; k < r.length; k++) {
      const x = c[r[k]];
      if (x - x !== 0) {
        if (x !== x) nulls++;
        else if (inf === 0 || r[k] < infRow) {
          inf = x;
          infRow = r[k];
        }
      }
    }
  return { nulls, inf, infRow, sum, cnt, lo, hi };
}

function sumSquares(c: Float32Array | Float64Array, rows: Int32Array, mean: number): number {
  let s = 0;
  for (let k = 0; k < rows.length; k++) s += (c[rows[k]] - mean) ** 2;
  return s;
}

/** Scaled values of columns j0… (block) into the row-major matrix x (D columns), rows r of the table. */
function writeBlock(x: Float32Array, D: number, j0: number, block: (Float32Array | Float64Array)[], offset: number[], scale: number[], r: Int32Array): void {
  // Tiles of rows × the block's columns: the tile's output rows stay in cache while each column's
  // values are read in order (r ascends).
  const TILE = 256;
  for (let k0 = 0; k0 < r.length; k0 += TILE) {
    const k1 = Math.min(r.length, k0 + TILE);
    for (let b = 0; b < block.length; b++) {
      const c = block[b],
        off = offset[j0 + b],
        sc = scale[j0 + b];
      for (let k = k0, at = k0 * D + j0 + b; k < k1; k++, at += D) x[at] = (c[r[k]] - off) / sc;
    }
  }
}
