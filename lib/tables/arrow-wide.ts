// apache-arrow JS builds every RecordBatch through Schema.assign, which looks each field up by name
// with a linear scan: quadratic in the column count (tableFromIPC of 100,000 columns: 44 s; with
// this, 0.58 s: docs/perf.md). Installed once (columns.ts), the same operation with a name → index map: the result
// is the same Schema (fields, metadata, dictionaries; duplicate names as upstream: the first field
// of a name is the one replaced), in time linear in the fields.
import { Schema, type Field } from 'apache-arrow';

type Assign = (this: Schema, ...args: unknown[]) => Schema;

/** apache-arrow's own Schema.assign (kept for the equivalence test). */
export const upstreamAssign: Assign = Schema.prototype.assign as unknown as Assign;

function linearAssign(this: Schema, ...args: unknown[]): Schema {
  const other =
    args[0] instanceof Schema ? args[0] : Array.isArray(args[0]) ? new Schema(args[0] as Field[]) : new Schema(args as Field[]);
  const current = [...this.fields];
  const firstOfName = new Map<string, number>();
  current.forEach((f, i) => {
    if (!firstOfName.has(f.name)) firstOfName.set(f.name, i);
  });
  const metadata = new Map([...(this.metadata ?? []), ...(other.metadata ?? [])]);
  const added = other.fields.filter((f2) => {
    const i = firstOfName.get(f2.name);
    if (i === undefined) return true;
    current[i] = f2.clone({ metadata: new Map([...(current[i].metadata ?? []), ...(f2.metadata ?? [])]) });
    return false;
  });
  // A Schema built from the added fields collects their dictionaries as upstream does.
  const dictionaries = new Map([...this.dictionaries, ...new Schema(added).dictionaries]);
  return new Schema([...current, ...added], metadata, dictionaries);
}

let installed = false;

export function installLinearSchemaAssign(): void {
  if (installed) return;
  installed = true;
  (Schema.prototype as unknown as { assign: Assign }).assign = linearAssign;
}

export { linearAssign };
