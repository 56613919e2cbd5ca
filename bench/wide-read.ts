// Reading a wide table (default 1,000 rows × 100,000 float32 features + a label) from Arrow IPC,
// Parquet and CSV the way a run does (readAndPrepare: a reader thread, the prepared splits handed
// back): seconds, peak RSS above the process's RSS before the read (as a multiple of the data's
// float32 size), and the longest time the event loop was blocked meanwhile. Each read runs in a
// child process of its own (`node dist/bench/wide-read.js --child FILE`) so peaks do not mix.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeVector, vectorFromArray, type Vector } from 'apache-arrow';
import { tableFromColumns } from '../lib/tables/columns.js';
import { writeTable } from '../lib/tables/write.js';
import { rng } from './rng.js';

interface ChildReport {
  seconds: number;
  baselineMiB: number;
  peakMiB: number;
  maxBlockMs: number;
  rows: number;
  features: number;
}

/** The values of column j (rows values on [0, 1), four decimals so the CSV holds them exactly as float32 does). */
function column(rows: number, j: number): Float32Array {
  const r = rng(j + 1);
  const v = new Float32Array(rows);
  for (let i = 0; i < rows; i++) v[i] = Math.round(r() * 1e4) / 1e4;
  return v;
}

function writeFiles(dir: string, rows: number, D: number): Record<string, string> {
  const cols: [string, Vector][] = [];
  const values: Float32Array[] = [];
  for (let j = 0; j < D; j++) {
    values.push(column(rows, j));
    cols.push([`f${j}`, makeVector(values[j])]);
  }
  cols.push(['label', vectorFromArray(Array.from({ length: rows }, (_, i) => `c${i % 5}`))]);
  const table = tableFromColumns(cols);
  const files: Record<string, string> = { arrow: path.join(dir, 'wide.arrow'), parquet: path.join(dir, 'wide.parquet'), csv: path.join(dir, 'wide.csv') };
  writeTable(files.arrow, table);
  // Parquet by pyarrow when it is there: parquet-wasm's writer (ipcae export) is quadratic in the
  // columns (arrow-rs; tens of minutes at 100,000), a limit of the writer, not of the read measured here.
  const py = spawnSync('python3', ['-c', 'import sys, pyarrow.feather as f, pyarrow.parquet as pq; pq.write_table(f.read_table(sys.argv[1]), sys.argv[2])', files.arrow, files.parquet], { encoding: 'utf8' });
  if (py.status !== 0) {
    if (D <= 5000) writeTable(files.parquet, table);
    else {
      console.log(`(no Parquet row: python3 with pyarrow writes the file at this width — ${(py.stderr || py.error?.message || '').trim().split('\n').pop()})`);
      delete (files as Partial<typeof files>).parquet;
    }
  }
  // CSV streamed row by row (writeTable builds the whole text: several GB at this size).
  const fd = openSync(files.csv, 'w');
  try {
    writeSync(fd, [...Array.from({ length: D }, (_, j) => `f${j}`), 'label'].join(',') + '\n');
    for (let i = 0; i < rows; i++) {
      const cells = new Array<string>(D + 1);
      for (let j = 0; j < D; j++) cells[j] = String(values[j][i].toFixed(4));
      cells[D] = `c${i % 5}`;
      writeSync(fd, cells.join(',') + '\n');
    }
  } finally {
    closeSync(fd);
  }
  return files;
}

export async function wideReadCase(rows: number, D: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-wide-read-'));
  const dataMiB = (rows * D * 4) / 2 ** 20;
  const lines = [
    `wide-read  ${rows} × ${D} float32 (${dataMiB.toFixed(0)} MiB of values) + a text label; readAndPrepare (target label): seconds, peak RSS above the RSS before the read, longest event-loop block`,
    '| format | file MiB | seconds | RSS before MiB | peak above MiB | × data size | longest block ms |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const l of lines) console.log(l);
  try {
    const files = writeFiles(dir, rows, D);
    const self = fileURLToPath(import.meta.url);
    for (const [format, file] of Object.entries(files)) {
      const r = spawnSync(process.execPath, [self, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) {
        const line = `| ${format} | ${(statSync(file).size / 2 ** 20).toFixed(0)} | failed: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')} |`;
        console.log(line);
        lines.push(line);
        continue;
      }
      const c = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
      const above = c.peakMiB - c.baselineMiB;
      const line = `| ${format} | ${(statSync(file).size / 2 ** 20).toFixed(0)} | ${c.seconds.toFixed(1)} | ${c.baselineMiB.toFixed(0)} | ${above.toFixed(0)} | ${(above / dataMiB).toFixed(2)} | ${c.maxBlockMs.toFixed(0)} |`;
      console.log(line);
      lines.push(line);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

/** The child: one read, measured. */
async function child(file: string): Promise<void> {
  const { readAndPrepare } = await import('../lib/tables/read-async.js');
  global.gc?.();
  const baselineMiB = process.memoryUsage().rss / 2 ** 20;
  let maxBlockMs = 0;
  let last = performance.now();
  // A 1 ms timer: any gap beyond it is time the event loop could not run.
  const tick = setInterval(() => {
    const now = performance.now();
    maxBlockMs = Math.max(maxBlockMs, now - last - 1);
    last = now;
  }, 1);
  const t0 = performance.now();
  const { prep } = await readAndPrepare(file, { target: 'label' });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(tick);
  const report: ChildReport = {
    seconds,
    baselineMiB,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    maxBlockMs,
    rows: prep.splits.train.rows.length + prep.splits.val.rows.length + prep.splits.test.rows.length,
    features: prep.featureNames.length,
  };
  console.log(JSON.stringify(report));
}

if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  child(process.argv[3]).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
