// The wide-data case: seconds per epoch, peak RSS and the memory model's estimate for tables of
// 20,531 (GENE's shape: 801 rows, K 150, batch 16) to 100,000 features, and for the shapes the
// model is checked on. Each run is a child `ipcae-run` under GNU time (its peak RSS, the model's
// estimate from its manifest); the table is printed as it goes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { tableFromColumns } from '../lib/tables/columns.js';
import { rng } from './rng.js';

/** The 10 planted features of plantedTable (column indices). */
export const plantedFeatures = (D: number) => Array.from({ length: 10 }, (_, i) => i * Math.floor(D / 10));

/**
 * rows × D float32 features, uniform on [0, 1); 5 classes decided by 10 planted features: the class
 * is the pair (2c, 2c + 1) of planted features with the largest sum (classes of equal chance).
 */
export function plantedTable(rows: number, D: number, file: string): void {
  const r = rng(D + rows);
  const cols: [string, Vector][] = [];
  const planted = plantedFeatures(D);
  const pairSums = Array.from({ length: 5 }, () => new Float64Array(rows));
  for (let j = 0; j < D; j++) {
    const v = new Float32Array(rows);
    for (let i = 0; i < rows; i++) v[i] = r();
    const at = planted.indexOf(j);
    if (at >= 0) for (let i = 0; i < rows; i++) pairSums[at >> 1][i] += v[i];
    cols.push([`g${j}`, makeVector(v)]);
  }
  const label = Array.from({ length: rows }, (_, i) => {
    let best = 0;
    for (let c = 1; c < 5; c++) if (pairSums[c][i] > pairSums[best][i]) best = c;
    return `c${best}`;
  });
  cols.push(['label', vectorFromArray(label)]);
  writeFileSync(file, tableToIPC(tableFromColumns(cols), 'file'));
}

export interface WideShape {
  name: string;
  rows: number;
  D: number;
  k: number;
  batch: number;
  seeds: number;
  method: string;
  /** Left out: the width's default (P = max(64, K) above 2,048 features). */
  p?: number;
  /** Left out: the width's default (per-batch above 2,048 features). */
  noise?: 'per-sample' | 'per-batch';
  epochs: number;
}

export const WIDE_SHAPES: WideShape[] = [
  { name: 'mice-like', rows: 1080, D: 77, k: 10, batch: 16, seeds: 10, method: 'ip-cae', noise: 'per-sample', epochs: 3 },
  { name: 'mnist-like', rows: 3000, D: 784, k: 50, batch: 128, seeds: 10, method: 'ip-cae', noise: 'per-sample', epochs: 2 },
  { name: 'P=D 6000', rows: 600, D: 6000, k: 50, batch: 16, seeds: 1, method: 'ip-cae', p: 6000, noise: 'per-sample', epochs: 1 },
  { name: 'GENE', rows: 801, D: 20531, k: 150, batch: 16, seeds: 1, method: 'ip-cae', p: 256, noise: 'per-sample', epochs: 1 },
  { name: 'GENE', rows: 801, D: 20531, k: 150, batch: 16, seeds: 1, method: 'ip-cae', p: 256, noise: 'per-batch', epochs: 2 },
  { name: 'GENE', rows: 801, D: 20531, k: 150, batch: 16, seeds: 10, method: 'ip-cae', p: 256, noise: 'per-batch', epochs: 2 },
  { name: 'GENE', rows: 801, D: 20531, k: 150, batch: 16, seeds: 1, method: 'cae', noise: 'per-sample', epochs: 1 },
  { name: 'D=100k', rows: 1000, D: 100000, k: 100, batch: 16, seeds: 1, method: 'ip-cae', p: 256, noise: 'per-batch', epochs: 1 },
  // the defaults (session 12): P = max(64, K), per-batch noise
  { name: 'GENE defaults', rows: 801, D: 20531, k: 150, batch: 16, seeds: 10, method: 'ip-cae', epochs: 2 },
  { name: 'D=100k defaults', rows: 1000, D: 100000, k: 100, batch: 16, seeds: 10, method: 'ip-cae', epochs: 1 },
];

export async function wideCase(only?: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-wide-'));
  const cli = path.resolve('dist/lib/cli/run.js');
  const lines = ['| shape | rows × D | K | batch | seeds | method | P | noise | s/epoch | s/epoch per element (ns) | peak RSS | estimate | estimate / RSS |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
  console.log(lines.join('\n'));
  try {
    const files = new Map<string, string>();
    for (const s of WIDE_SHAPES) {
      if (only && !s.name.toLowerCase().includes(only.toLowerCase())) continue;
      const key = `${s.rows}x${s.D}`;
      if (!files.has(key)) {
        const f = path.join(dir, `${key}.arrow`);
        plantedTable(s.rows, s.D, f);
        files.set(key, f);
      }
      const out = path.join(dir, `run-${lines.length}`);
      const args = [cli, '--dataset', files.get(key)!, '--target', 'label', '--k', String(s.k), '--batch-size', String(s.batch), '--seeds', Array.from({ length: s.seeds }, (_, i) => 11 * (i + 1)).join(','), '--epochs', String(s.epochs), '--method', s.method, ...(s.noise ? ['--noise', s.noise] : []), '--out', out, '--quiet', '--no-figures', ...(s.p ? ['--p', String(s.p)] : [])];
      const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kib=%M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const rss = Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1] ?? NaN) * 1024;
      let row: string;
      if (r.status !== 0) row = `| ${s.name} | ${s.rows} × ${s.D} | ${s.k} | ${s.batch} | ${s.seeds} | ${s.method} | ${s.p ?? 'default'} | ${s.noise ?? 'default'} | failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')} |`;
      else {
        const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { memory: { estimatedPeakBytes: number } };
        const resolved = (JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { experiment: { p: number; noise: string } }).experiment;
        const metrics = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { secondsTotal: number };
        // the epochs' own seconds (metrics), without reading and writing
        const { readMetrics } = await import('../lib/experiment/metrics-file.js');
        const history = readMetrics(readFileSync(path.join(out, 'metrics.arrow')));
        const perEpoch = history.reduce((a, h) => a + h.seconds, 0) / history.length;
        const trainRows = Math.round(s.rows * 0.6);
        const perElement = (perEpoch / (s.seeds * trainRows * s.k * s.D)) * 1e9;
        const est = manifest.memory.estimatedPeakBytes;
        void metrics;
        row = `| ${s.name} | ${s.rows} × ${s.D} | ${s.k} | ${s.batch} | ${s.seeds} | ${s.method} | ${s.method === 'cae' ? '—' : (s.p ?? `default (${resolved.p || 'D'})`)} | ${s.noise ?? `default (${resolved.noise})`} | ${perEpoch.toFixed(2)} | ${perElement.toFixed(2)} | ${(rss / 2 ** 30).toFixed(2)} GiB | ${(est / 2 ** 30).toFixed(2)} GiB | ${(est / rss).toFixed(2)} |`;
      }
      console.log(row);
      lines.push(row);
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [];
}
