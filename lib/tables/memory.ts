// In-memory inputs → Arrow tables: an array of row objects, or a matrix with optional names and target.
import { tableFromColumns } from './columns.js';
import { Bool, Float64, Table, Utf8, makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import { IpcaeError, describe } from '../errors.js';

const bad = (msg: string) => new IpcaeError('ERR_INVALID_ARGUMENT', msg);

/** `{ x, featureNames?, y? }`: x is rows × D (number[][]) or a row-major Float32Array/Float64Array. */
export interface MatrixInput {
  x: Float32Array | Float64Array | number[][];
  featureNames?: string[];
  /** One target per row: numbers or strings (classes). Becomes the column 'y' (the default target). */
  y?: ArrayLike<number | string> | (number | string)[];
}

/**
 * { x, featureNames?, y? } with x a typed array or an array of rows. An object of columns that has
 * a column named 'x' of plain numbers is a column object (isColumnsInput), not a matrix.
 */
export const isMatrixInput = (v: unknown): v is MatrixInput =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  'x' in v &&
  !(Array.isArray((v as { x: unknown }).x) && (v as { x: unknown[] }).x.length > 0 && !Array.isArray((v as { x: unknown[] }).x[0]) && isColumnsInput(v));

/** A column object: { name: values, … } — the shape of tableFromArrays, Arquero's and DuckDB's column objects. */
export type ColumnsInput = Record<string, ArrayLike<unknown>>;

const isColumn = (c: unknown) => Array.isArray(c) || (ArrayBuffer.isView(c) && !(c instanceof DataView));

/** A plain object whose every value is an array or a typed array (one column each). */
export function isColumnsInput(v: unknown): v is ColumnsInput {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const values = Object.values(v);
  return values.length > 0 && values.every(isColumn);
}

/** A column object as a table: typed arrays kept as numbers, arrays typed as rows' values are. */
export function columnsToTable(c: ColumnsInput): Table {
  const names = Object.keys(c);
  checkNames(names, 'the column names');
  const n = c[names[0]].length;
  for (const k of names)
    if (c[k].length !== n) throw bad(`Expected every column to have the same length but column '${k}' has ${c[k].length} values and '${names[0]}' has ${n}`);
  const cols: Record<string, Vector> = {};
  for (const k of names) {
    const v = c[k];
    cols[k] =
      v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Int16Array || v instanceof Int8Array || v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array
        ? makeVector(v)
        : valuesToVector(Array.from(v as ArrayLike<unknown>), k, 'columns');
  }
  return tableFromColumns(cols);
}

export function matrixToTable(m: MatrixInput): Table {
  const { x } = m;
  let rows: number, D: number;
  let at: (i: number, j: number) => number;
  if (x instanceof Float32Array || x instanceof Float64Array) {
    if (!m.featureNames) throw bad('Expected featureNames with a flat typed-array x (its length gives the column count)');
    D = m.featureNames.length;
    if (D === 0 || x.length % D !== 0) throw bad(`Expected x.length (${x.length}) to be a multiple of featureNames.length (${D})`);
    rows = x.length / D;
    at = (i, j) => x[i * D + j];
  } else if (Array.isArray(x)) {
    rows = x.length;
    D = rows ? (Array.isArray(x[0]) ? x[0].length : -1) : 0;
    if (D < 0) throw bad(`Expected x to be an array of rows (number[][]) but x[0] is ${describe(x[0])}`);
    x.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== D) throw bad(`Expected every row of x to have ${D} values but x[${i}] ${Array.isArray(r) ? `has ${r.length}` : `is ${describe(r)}`}`);
    });
    at = (i, j) => (x as number[][])[i][j];
  } else throw bad(`Expected x to be a Float32Array, a Float64Array or number[][] but received ${describe(x)}`);
  const names = m.featureNames ?? Array.from({ length: D }, (_, j) => `x${j}`);
  if (names.length !== D) throw bad(`Expected ${D} featureNames (one per column of x) but received ${names.length}`);
  const cols: Record<string, Vector> = {};
  names.forEach((name, j) => {
    if (typeof name !== 'string') throw bad(`Expected featureNames[${j}] to be a string but received ${describe(name)}`);
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const v = at(i, j);
      if (typeof v !== 'number') throw bad(`Expected a number at x[${i}][${j}] but received ${describe(v)}`);
      col[i] = v;
    }
    cols[name] = vectorFromArray(col);
  });
  checkNames(names, 'featureNames');
  if (m.y !== undefined) {
    if (names.includes('y')) throw bad("Expected no feature named 'y' when y is given (the target column is named 'y')");
    const y = Array.from(m.y as ArrayLike<number | string>);
    if (y.length !== rows) throw bad(`Expected y to have one value per row of x (${rows}) but it has ${y.length}`);
    cols.y = valuesToVector(y, 'y', 'y');
  }
  return tableFromColumns(cols);
}

/** An array of plain row objects; every row must have the same keys (the first row's). */
export function rowsToTable(rows: Record<string, unknown>[]): Table {
  if (rows.length === 0) throw bad('Expected at least one row in the array of row objects');
  const first = rows[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) throw bad(`Expected rows to be plain objects but rows[0] is ${describe(first)}`);
  const keys = Object.keys(first);
  checkNames(keys, 'the row keys');
  const want = new Set(keys);
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw bad(`Expected rows to be plain objects but rows[${i}] is ${describe(r)}`);
    for (const k of Object.keys(r)) if (!want.has(k)) throw bad(`Expected the keys of rows[0] in every row but rows[${i}] has '${k}' too`);
  });
  const cols: Record<string, Vector> = {};
  for (const k of keys)
    cols[k] = valuesToVector(
      rows.map((r) => r[k]),
      k,
      'rows',
    );
  return tableFromColumns(cols);
}

/** One column of JS values: numbers → float64, booleans → bool, strings → utf8; null/undefined/NaN → null. */
function valuesToVector(values: unknown[], column: string, where: string): Vector {
  const at = (i: number) => (where === 'y' ? `y[${i}]` : where === 'columns' ? `${column}[${i}]` : `rows[${i}]`);
  let kind: 'number' | 'boolean' | 'string' | undefined;
  values.forEach((v, i) => {
    if (v === null || v === undefined) return;
    const t = typeof v === 'bigint' ? 'number' : typeof v;
    if (t !== 'number' && t !== 'boolean' && t !== 'string')
      throw bad(`Expected numbers, booleans or strings in column '${column}' but ${at(i)} is ${describe(v)}`);
    if (kind === undefined) kind = t;
    else if (kind !== t)
      throw bad(`Expected one type per column but column '${column}' mixes ${kind}s and ${t}s (${at(i)} is ${describe(v)})`);
  });
  if (kind === 'string') return vectorFromArray(values.map((v) => (v === undefined ? null : v)) as (string | null)[], new Utf8());
  if (kind === 'boolean') return vectorFromArray(values.map((v) => (v === undefined ? null : v)) as (boolean | null)[], new Bool());
  return vectorFromArray(
    values.map((v) => (v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v)) ? null : Number(v))),
    new Float64(),
  );
}

export function checkNames(names: string[], where: string): void {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const n of names) (seen.has(n) ? dups : seen).add(n);
  if (dups.size) throw bad(`Expected distinct column names in ${where} but ${[...dups].map((d) => `'${d}'`).join(', ')} repeat${dups.size > 1 ? '' : 's'}`);
  const empty = names.map((n, j) => [n, j] as const).filter(([n]) => n.trim() === '');
  if (empty.length) throw bad(`Expected non-empty column names in ${where} but column ${empty.map(([, j]) => j + 1).join(', ')} ha${empty.length > 1 ? 've' : 's'} none`);
}
