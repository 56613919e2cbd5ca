// What a smaller P (and per-batch noise) costs in accuracy: ten seeds per cell on ISOLET, COIL-20,
// MNIST (the paper's protocol and configs, only P / noise changed) and a wide planted table whose
// informative features are known. Each cell is one child `ipcae-run`; its summary is kept in
// --study-dir (one JSON per cell), so an interrupted study resumes where it stopped and the table
// can be printed again from the kept cells (`--study-table`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { meanStd } from '../lib/stats/stats.js';
import { plantedTable, plantedFeatures } from './wide.js';

export interface StudyCell {
  dataset: string;
  /** 0: P = D. */
  p: number;
  noise: 'per-sample' | 'per-batch';
  method: 'ip-cae' | 'cae';
  epochs: number;
}

/** The wide planted table: 800 rows × 10,000 features, 10 planted (wide.ts), K 20, batch 16, 100 epochs. */
const PLANTED = { rows: 800, D: 10000, k: 20, batch: 16 };

// In the order they run (most telling first: an interrupted study still answers the wide question,
// then whether the wide defaults — P = 64, per-batch — cost anything on the paper's datasets).
export const STUDY: StudyCell[] = [
  ...[64, 256].flatMap((p) =>
    (['per-sample', 'per-batch'] as const).map((noise): StudyCell => ({ dataset: 'planted', p, noise, method: 'ip-cae', epochs: 100 })),
  ),
  { dataset: 'planted', p: 0, noise: 'per-batch', method: 'cae', epochs: 100 },
  ...['isolet', 'coil20', 'mnist'].map((dataset): StudyCell => ({ dataset, p: 64, noise: 'per-sample', method: 'ip-cae', epochs: 200 })),
  ...['isolet', 'coil20'].map((dataset): StudyCell => ({ dataset, p: 64, noise: 'per-batch', method: 'ip-cae', epochs: 200 })),
  ...['isolet', 'coil20'].map((dataset): StudyCell => ({ dataset, p: 256, noise: 'per-sample', method: 'ip-cae', epochs: 200 })),
  { dataset: 'mnist', p: 64, noise: 'per-batch', method: 'ip-cae', epochs: 200 },
  { dataset: 'mnist', p: 0, noise: 'per-sample', method: 'ip-cae', epochs: 200 },
  { dataset: 'mnist', p: 256, noise: 'per-sample', method: 'ip-cae', epochs: 200 },
  { dataset: 'planted', p: 1024, noise: 'per-batch', method: 'ip-cae', epochs: 100 },
  { dataset: 'planted', p: 0, noise: 'per-sample', method: 'cae', epochs: 100 },
  ...['isolet', 'coil20'].map((dataset): StudyCell => ({ dataset, p: 0, noise: 'per-sample', method: 'ip-cae', epochs: 200 })),
  ...['mnist', 'isolet', 'coil20'].map((dataset): StudyCell => ({ dataset, p: 0, noise: 'per-batch', method: 'ip-cae', epochs: 200 })),
];

const WIDTH: Record<string, number> = { planted: PLANTED.D, isolet: 617, coil20: 1024, mnist: 784 };

const cellName = (c: StudyCell) => `${c.dataset}-${c.method}-p${c.p || 'D'}-${c.noise}-e${c.epochs}`;

interface CellResult extends StudyCell {
  D: number;
  k: number;
  mean: number;
  std: number;
  meanUniquePct: number;
  secondsTotal: number;
  /** Planted table: the share of the 10 planted features among each seed's selection (mean, std). */
  planted?: { mean: number; std: number };
  seeds: { seed: number; testMetric: number; uniquePct: number; selected: number[] }[];
}

export async function pStudyCase(dataDir: string, studyDir: string, only: string | undefined, tableOnly: boolean): Promise<void> {
  mkdirSync(studyDir, { recursive: true });
  const cli = path.resolve('dist/lib/cli/run.js');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ipcae-pstudy-'));
  try {
    const planted = path.join(tmp, 'planted.arrow');
    for (const c of STUDY) {
      const file = path.join(studyDir, `${cellName(c)}.json`);
      if (tableOnly || existsSync(file) || (only && !cellName(c).includes(only))) continue;
      if (c.dataset === 'planted' && !existsSync(planted)) plantedTable(PLANTED.rows, PLANTED.D, planted);
      const out = path.join(tmp, cellName(c));
      const dataArgs =
        c.dataset === 'planted'
          ? ['--dataset', planted, '--target', 'label', '--k', String(PLANTED.k), '--batch-size', String(PLANTED.batch)]
          : ['--dataset', c.dataset, '--data-dir', dataDir];
      const args = [cli, ...dataArgs, '--method', c.method, '--noise', c.noise, '--epochs', String(c.epochs), '--seeds', 'paper', '--out', out, '--quiet', '--no-figures', ...(c.p ? ['--p', String(c.p)] : [])];
      console.error(`p-study: ${cellName(c)} …`);
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0) {
        console.error(`p-study: ${cellName(c)} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
        continue;
      }
      const s = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
        mean: number;
        std: number;
        meanUniquePct: number;
        secondsTotal: number;
        settings: { k: number };
        seeds: { seed: number; testMetric: number; uniquePct: number; selected: number[] }[];
      };
      const seeds = s.seeds.map(({ seed, testMetric, uniquePct, selected }) => ({ seed, testMetric, uniquePct, selected }));
      const result: CellResult = {
        ...c,
        D: WIDTH[c.dataset] ?? 0,
        k: s.settings.k,
        mean: s.mean,
        std: s.std,
        meanUniquePct: s.meanUniquePct,
        secondsTotal: s.secondsTotal,
        seeds,
      };
      if (c.dataset === 'planted') {
        const truth = new Set(plantedFeatures(PLANTED.D));
        result.planted = meanStd(seeds.map((x) => (new Set(x.selected.filter((i) => truth.has(i))).size / truth.size) * 100));
      }
      writeFileSync(file, JSON.stringify(result, null, 1) + '\n');
      rmSync(out, { recursive: true, force: true });
      console.error(`p-study: ${cellName(c)}: ${s.mean.toFixed(2)} ± ${s.std.toFixed(2)} in ${s.secondsTotal.toFixed(0)} s`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  printStudy(studyDir);
}

function printStudy(studyDir: string): void {
  const kept = readdirSync(studyDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(studyDir, f), 'utf8')) as CellResult);
  const order = (r: CellResult) => STUDY.findIndex((c) => cellName(c) === cellName(r));
  kept.sort((a, b) => order(a) - order(b));
  console.log('| data | D | K | method | P | noise | epochs | test accuracy (%, 10 seeds) | unique % | planted found % | seconds |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of kept)
    console.log(
      `| ${r.dataset} | ${r.D} | ${r.k} | ${r.method} | ${r.method === 'cae' ? '—' : r.p || 'D'} | ${r.noise} | ${r.epochs} | ${r.mean.toFixed(2)} ± ${r.std.toFixed(2)} | ${r.meanUniquePct.toFixed(1)} | ${r.planted ? `${r.planted.mean.toFixed(0)} ± ${r.planted.std.toFixed(0)}` : '—'} | ${r.secondsTotal.toFixed(0)} |`,
    );
}
