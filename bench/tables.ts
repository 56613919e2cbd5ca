// npm run bench -- --cases tables [--rows 100000] [--cols 500]
// Reading and converting a rows × cols float32 table into the trainer's matrices (readAndPrepare:
// read, decode, type policy, min-max scaling, 60/20/20 split), per format, in cells per second, with
// the longest event-loop block seen meanwhile. The files are written by pyarrow, as Python users
// write them (python3 with pyarrow is needed for this case only). Also: the two Parquet readers
// compared, hyparquet (pure JS) against parquet-wasm (arrow-rs in WebAssembly), on speed and fidelity.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableFromIPC } from 'apache-arrow';
import { readAndPrepare } from '../lib/tables/read-async.js';

const WRITE = `
import sys, numpy as np, pyarrow as pa, pyarrow.feather as feather, pyarrow.parquet as pq, pyarrow.csv as pcsv
rows, cols, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
x = np.random.default_rng(1).random((rows, cols), dtype=np.float32)
t = pa.table({f'c{j}': x[:, j] for j in range(cols)})
feather.write_feather(t, out + '/uncompressed.arrow', compression='uncompressed')
feather.write_feather(t, out + '/lz4.feather')  # the default: LZ4_FRAME
feather.write_feather(t, out + '/zstd.arrow', compression='zstd')
pq.write_table(t, out + '/snappy.parquet')  # the default: snappy
pcsv.write_csv(t, out + '/table.csv')
# fidelity: the types a Parquet file carries
import datetime, decimal
f = pa.table({
  'f32': pa.array([1.5, 2.5], pa.float32()), 'i8': pa.array([1, 2], pa.int8()), 'u64': pa.array([2**60, 3], pa.uint64()),
  'dec': pa.array([decimal.Decimal('1.25'), decimal.Decimal('-2.50')], pa.decimal128(9, 2)),
  'ts': pa.array([datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 2)], pa.timestamp('ms')),
  'dict': pa.array(['a', 'b']).dictionary_encode(), 'nullable': pa.array([1.0, None]),
})
pq.write_table(f, out + '/types.parquet')
`;

/** Runs fn while a chain of setImmediate ticks measures the longest gap: the longest event-loop block. */
async function withBlockMeter<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; maxBlockMs: number }> {
  let last = performance.now(),
    max = 0,
    stop = false;
  const tick = () => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    if (!stop) setImmediate(tick);
  };
  setImmediate(tick);
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  max = Math.max(max, performance.now() - last);
  return { value, seconds, maxBlockMs: max };
}

const REPEATS = 3;
const gc = (globalThis as { gc?: () => void }).gc;

export async function tablesCase(rows: number, cols: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-bench-tables-'));
  const lines: string[] = [];
  try {
    const py = spawnSync('python3', ['-c', WRITE, String(rows), String(cols), dir], { encoding: 'utf8' });
    if (py.status !== 0) return [`tables  skipped: writing the files needs python3 with numpy and pyarrow (pip install pyarrow): ${py.stderr.trim().split('\n').pop()}`];
    const cells = rows * cols;
    const files: [string, string][] = [
      ['arrow-ipc uncompressed', 'uncompressed.arrow'],
      ['arrow-ipc lz4 (feather default)', 'lz4.feather'],
      ['arrow-ipc zstd', 'zstd.arrow'],
      ['parquet snappy (pyarrow default)', 'snappy.parquet'],
      ['csv', 'table.csv'],
    ];
    lines.push(`# tables: ${rows} × ${cols} float32 (${(cells / 1e6).toFixed(0)} M cells), read + convert with readAndPrepare (worker thread), 60/20/20, min-max`);
    lines.push(`| format | file MB | read file s | first read s | seconds (median of ${REPEATS}) | M cells/s (median) | longest event-loop block (ms, worst of ${REPEATS}) |`);
    lines.push('|---|---|---|---|---|---|---|');
    for (const [name, file] of files) {
      const f = path.join(dir, file);
      const t0 = performance.now();
      readFileSync(f); // the bare read: how much of the time is the disk / page cache
      const readS = (performance.now() - t0) / 1000;
      const runs: { seconds: number; maxBlockMs: number }[] = [];
      for (let i = 0; i < REPEATS; i++) {
        // The previous run's matrices are freed here, outside the measured read: V8 frees large
        // ArrayBuffers in a main-thread GC pause, whoever dropped them (measured separately below).
        gc?.();
        const m = await withBlockMeter(async () => (await readAndPrepare(f, { split: { fractions: [0.6, 0.2, 0.2] } })).prep.featureNames.length);
        if (m.value !== cols) throw new Error(`${name}: ${m.value} features, expected ${cols}`);
        runs.push({ seconds: m.seconds, maxBlockMs: m.maxBlockMs }); // the matrices are dropped at once
      }
      const med = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(REPEATS / 2)].seconds;
      const block = Math.max(...runs.map((r) => r.maxBlockMs));
      lines.push(`| ${name} | ${(statSync(f).size / 2 ** 20).toFixed(0)} | ${readS.toFixed(2)} | ${runs[0].seconds.toFixed(2)} | ${med.toFixed(2)} | ${(cells / med / 1e6).toFixed(1)} | ${block.toFixed(1)} |`);
    }
    {
      // An in-memory apache-arrow Table (the 20,000 × 200): prepared on this thread in slices.
      const n = 20000,
        d = 200;
      const r = new Float32Array(n);
      const cols: Record<string, Float32Array> = {};
      for (let j = 0; j < d; j++) cols[`c${j}`] = r.map((_, i) => ((i * 7919 + j * 104729) % 1000) / 1000);
      const t = tableFromArrays(cols);
      gc?.();
      const m = await withBlockMeter(() => readAndPrepare(t, {}));
      lines.push('', `# in-memory Table ${n} × ${d} (readAndPrepare on the caller's thread, yielding between column blocks): ${m.seconds.toFixed(2)} s, ${((n * d) / m.seconds / 1e6).toFixed(1)} M cells/s, longest event-loop block ${m.maxBlockMs.toFixed(1)} ms`);
    }
    if (gc) {
      // What dropping a result costs: the GC pause that frees its matrices.
      let held: unknown = await readAndPrepare(path.join(dir, 'uncompressed.arrow'), {});
      gc();
      const t0 = performance.now();
      held = undefined;
      gc();
      lines.push('', `# freeing one result (${((cells * 4) / 2 ** 20).toFixed(0)} MiB of matrices) in a main-thread GC: ${(performance.now() - t0).toFixed(0)} ms (held: ${String(held)})`);
    } else lines.push('', '# (run node with --expose-gc to measure reads without the previous result being freed inside them)');
    // The two Parquet readers, on the same file: time to column arrays, and what types come back.
    const req = createRequire(import.meta.url);
    const buf = readFileSync(path.join(dir, 'snappy.parquet'));
    const pw = req('parquet-wasm') as { readParquet(b: Uint8Array): { intoIPCStream(): Uint8Array } };
    const hp = (await import('hyparquet')) as unknown as { parquetRead(o: object): Promise<void> };
    const time = async (fn: () => unknown) => {
      const t0 = performance.now();
      await fn();
      return (performance.now() - t0) / 1000;
    };
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const wasm1 = await time(() => tableFromIPC(pw.readParquet(new Uint8Array(buf)).intoIPCStream()));
    const wasm2 = await time(() => tableFromIPC(pw.readParquet(new Uint8Array(buf)).intoIPCStream()));
    const hyp1 = await time(() => hp.parquetRead({ file: ab, columnar: true, onChunk: () => {} }));
    const hyp2 = await time(() => hp.parquetRead({ file: ab, columnar: true, onChunk: () => {} }));
    lines.push('', `# Parquet readers on snappy.parquet (${(cells / 1e6).toFixed(0)} M cells), to columns in memory, first and second call in one process`);
    lines.push('| reader | first call s | second call s | M cells/s (second) |', '|---|---|---|---|');
    lines.push(`| parquet-wasm 0.8 (chosen) | ${wasm1.toFixed(2)} | ${wasm2.toFixed(2)} | ${(cells / wasm2 / 1e6).toFixed(1)} |`);
    lines.push(`| hyparquet 1.x | ${hyp1.toFixed(2)} | ${hyp2.toFixed(2)} | ${(cells / hyp2 / 1e6).toFixed(1)} |`);
    const tbuf = readFileSync(path.join(dir, 'types.parquet'));
    const wt = tableFromIPC(pw.readParquet(new Uint8Array(tbuf)).intoIPCStream());
    const hcols: Record<string, unknown[]> = {};
    const tab = tbuf.buffer.slice(tbuf.byteOffset, tbuf.byteOffset + tbuf.byteLength);
    await hp.parquetRead({ file: tab, columnar: true, onChunk: (c: { columnName: string; columnData: ArrayLike<unknown> }) => (hcols[c.columnName] = Array.from(c.columnData)) });
    lines.push('', '# Parquet fidelity: what each reader gives for typed columns', '| column | parquet-wasm (Arrow type: value) | hyparquet (JS value) |', '|---|---|---|');
    const show = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Date ? `Date(${v.toISOString()})` : JSON.stringify(v));
    for (const f of wt.schema.fields) lines.push(`| ${f.name} | ${String(f.type)}: ${show(wt.getChild(f.name)!.get(0))} | ${show(hcols[f.name]?.[0])} (${typeof hcols[f.name]?.[0]}) |`);
    writeFileSync(path.join(dir, 'done'), '');
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
