// The column-type policy (one table, mirrored in docs/tables.md): what every Arrow type is to ipcae —
// a numeric feature, a category, or an error — and the whole-column conversions behind it
// (typed-array copies per record batch, never a Vector.get per cell on the hot types).
import { DataType, Field, RecordBatch, Schema, Struct, Table, Type, makeData, util, type Data, type Vector } from 'apache-arrow';
import { installLinearSchemaAssign } from './arrow-wide.js';

// Wide tables: apache-arrow's Schema.assign is quadratic in the columns (arrow-wide.ts). Installed
// here, once: every module that reads or builds tables (read, csv, memory, registry) imports this one.
installLinearSchemaAssign();

/** What a column can be used as. */
export type ColumnKind = 'numeric' | 'category' | 'unsupported' | 'null';

export interface ColumnPolicy {
  kind: ColumnKind;
  /** The Arrow type as docs/tables.md's table names it (int8, utf8_view, timestamp, …). */
  typeName: string;
  /** Why it cannot be a numeric feature (for category / unsupported / null). */
  reason?: string;
}

const INT_NAMES: Record<string, string> = {};
for (const signed of [true, false]) for (const w of [8, 16, 32, 64]) INT_NAMES[`${signed}${w}`] = `${signed ? 'int' : 'uint'}${w}`;

/** docs/tables.md's name of an Arrow type. */
export function typeName(t: DataType): string {
  switch (t.typeId) {
    case Type.Int:
    case Type.Int8:
    case Type.Int16:
    case Type.Int32:
    case Type.Int64:
    case Type.Uint8:
    case Type.Uint16:
    case Type.Uint32:
    case Type.Uint64: {
      const i = t as unknown as { isSigned: boolean; bitWidth: number };
      return INT_NAMES[`${i.isSigned}${i.bitWidth}`];
    }
    case Type.Float:
    case Type.Float16:
    case Type.Float32:
    case Type.Float64:
      return ['float16', 'float32', 'float64'][(t as unknown as { precision: number }).precision];
    case Type.Decimal:
      return `decimal${(t as unknown as { bitWidth: number }).bitWidth}`;
    case Type.Bool:
      return 'bool';
    case Type.Utf8:
      return 'utf8';
    case Type.LargeUtf8:
      return 'large_utf8';
    case Type.Utf8View:
      return 'utf8_view';
    case Type.Dictionary:
      return 'dictionary';
    case Type.Null:
      return 'null';
    default: {
      const name = Type[t.typeId] ?? String(t);
      return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    }
  }
}

export const isFloatType = (t: DataType) => DataType.isFloat(t) || DataType.isDecimal(t);
export const isTextType = (t: DataType) => DataType.isUtf8(t) || DataType.isLargeUtf8(t) || t.typeId === Type.Utf8View || DataType.isDictionary(t);

/** The policy for one column type. */
export function columnPolicy(t: DataType): ColumnPolicy {
  const typeNameOf = typeName(t);
  if (DataType.isInt(t) || DataType.isFloat(t) || DataType.isDecimal(t) || DataType.isBool(t)) return { kind: 'numeric', typeName: typeNameOf };
  if (isTextType(t)) return { kind: 'category', typeName: typeNameOf, reason: `${typeNameOf} is a category, not a number` };
  if (DataType.isNull(t)) return { kind: 'null', typeName: typeNameOf, reason: 'type null: the column has no values' };
  if (DataType.isDate(t) || DataType.isTimestamp(t) || DataType.isTime(t) || DataType.isInterval(t) || DataType.isDuration(t))
    return { kind: 'unsupported', typeName: typeNameOf, reason: `${typeNameOf} is a date or time, not a measurement: convert it to a number (e.g. days since an origin) or exclude it` };
  if (DataType.isList(t) || DataType.isStruct(t) || DataType.isMap(t) || DataType.isUnion(t) || DataType.isFixedSizeList(t) || t.typeId === Type.LargeList)
    return { kind: 'unsupported', typeName: typeNameOf, reason: `${typeNameOf} is a nested type: flatten it into numeric columns or exclude it` };
  return { kind: 'unsupported', typeName: typeNameOf, reason: `${typeNameOf} is not a numeric type: convert it or exclude it` };
}


/**
 * A numeric column (policy 'numeric') as float64, nulls as NaN. Ints and floats are copied a record
 * batch at a time from their typed arrays; float16, 64-bit ints, decimals and bools go value by value
 * within each batch (exact where float64 is: 64-bit integers beyond 2^53 round).
 */
export function numericColumn(v: Vector): Float64Array {
  const out = new Float64Array(v.length);
  let at = 0;
  for (const d of v.data as Data[]) {
    fillChunk(d, out, at);
    if (d.nullCount > 0) for (let i = 0; i < d.length; i++) if (!d.getValid(i)) out[at + i] = NaN;
    at += d.length;
  }
  return out;
}

/**
 * The values of a numeric column for reading only: the record batch's own Float32Array/Float64Array
 * when there is one batch and no nulls (no copy), otherwise numericColumn's float64 copy.
 */
export function numericValues(v: Vector): Float32Array | Float64Array {
  const chunks = v.data as Data[];
  if (chunks.length === 1 && chunks[0].nullCount === 0) {
    const vals = chunks[0].values as unknown;
    if ((vals instanceof Float32Array || vals instanceof Float64Array) && DataType.isFloat(v.type) && vals.length >= v.length) return vals.subarray(0, v.length);
  }
  return numericColumn(v);
}

function fillChunk(d: Data, out: Float64Array, at: number): void {
  const t = d.type as DataType;
  const n = d.length;
  if (DataType.isFloat(t) && (t as unknown as { precision: number }).precision === 0) {
    const raw = d.values as Uint16Array;
    for (let i = 0; i < n; i++) out[at + i] = util.uint16ToFloat64(raw[i]);
    return;
  }
  if (DataType.isInt(t) || DataType.isFloat(t)) {
    const vals = d.values as ArrayLike<number | bigint>;
    if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) out[at + i] = Number(vals[i]);
    } else {
      out.set((vals as Float64Array).subarray(0, n), at); // a typed-array copy with conversion
    }
    return;
  }
  if (DataType.isBool(t)) {
    const bits = d.values as Uint8Array;
    for (let i = 0, b = d.offset; i < n; i++, b++) out[at + i] = (bits[b >> 3] >> (b & 7)) & 1;
    return;
  }
  if (DataType.isDecimal(t)) {
    // Decimal values are 32-bit little-endian words of a two's-complement integer scaled by 10^-scale.
    const dt = t as unknown as { scale: number; bitWidth: number };
    const words = dt.bitWidth / 32;
    const w = d.values as Uint32Array;
    const scale = 10 ** dt.scale;
    for (let i = 0; i < n; i++) {
      let x = 0n;
      for (let k = words - 1; k >= 0; k--) x = (x << 32n) | BigInt(w[i * words + k]);
      out[at + i] = Number(BigInt.asIntN(dt.bitWidth, x)) / scale;
    }
    return;
  }
  throw new Error(`numericColumn: ${String(t)} is not numeric`);
}

/** Every value of a column as a string key (null/undefined stay null): targets, categories, split columns. */
export function textColumn(v: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(v.length);
  let i = 0;
  for (const x of v as Iterable<unknown>) out[i++] = x === null || x === undefined ? null : String(x);
  return out;
}


/**
 * A Table from named columns in linear time: apache-arrow's `new Table({name: vector})` merges the
 * schema field by field (quadratic in the column count: minutes at 50,000 columns). Columns of one
 * record batch each (the common case) become one RecordBatch; others fall back to apache-arrow's way.
 */
export function tableFromColumns(cols: Record<string, Vector> | [string, Vector][]): Table {
  const entries = Array.isArray(cols) ? cols : Object.entries(cols);
  if (entries.length === 0) return new Table();
  const length = entries[0][1].length;
  const single = entries.every(([, v]) => v.data.length === 1 && v.length === length);
  if (!single || entries.length < 64) return new Table(Object.fromEntries(entries));
  const fields = entries.map(([name, v]) => new Field(name, v.type, v.nullCount > 0));
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length, nullCount: 0, children: entries.map(([, v]) => v.data[0]) });
  // RecordBatch's constructor merges its schema field by field (Schema.assign: quadratic) even when
  // every column already has the batch's length; built empty, it is given what that constructor
  // would have set for such columns: the schema and the struct data.
  const batch = new RecordBatch(new Schema([]), makeData({ type: new Struct([]), length, nullCount: 0, children: [] }));
  Object.assign(batch, { schema, data });
  return new Table(schema, [batch]);
}
