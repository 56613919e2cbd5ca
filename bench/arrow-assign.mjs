// node bench/arrow-assign.mjs FILE [linear]
// Times tableFromIPC of one Arrow IPC file or stream with apache-arrow's own Schema.assign
// (quadratic in the columns) or, with `linear`, ipcae's (lib/tables/arrow-wide.ts). Run each in a
// process of its own. The files of docs/perf.md: 1,000 rows × 20,000 / 100,000 float32 columns,
// written by pyarrow:
//   python3 -c "import pyarrow as pa, numpy as np; x = np.random.default_rng(1).random((1000, 20000), dtype=np.float32); t = pa.table({f'f{j}': x[:, j] for j in range(20000)}); w = pa.ipc.new_stream('w20000.arrows', t.schema); w.write_table(t); w.close()"
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';

if (process.argv[3] === 'linear') (await import('../dist/lib/tables/arrow-wide.js')).installLinearSchemaAssign();
const bytes = readFileSync(process.argv[2]);
const t0 = performance.now();
const t = tableFromIPC(bytes);
console.log(`${t.numCols} columns, ${process.argv[3] === 'linear' ? 'linear' : 'upstream'} Schema.assign: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
