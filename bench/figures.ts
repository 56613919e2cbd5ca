// npm run bench -- --cases figures
// What drawing a finished run's figures costs (the budget: under 2 s for ten seeds and 200
// epochs): a run directory shaped like an MNIST run (784 pixels, K = 50, ten seeds, 200 epochs;
// the values are synthetic, the drawing work is the same), drawn twice: the first call includes
// loading vega, vega-lite, resvg and the font; the second is what each further run costs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metricsToIPC } from '../lib/experiment/metrics-file.js';
import { summarize, type SeedSummary } from '../lib/experiment/summary.js';
import { FEATURE_MEANS } from '../lib/experiment/feature-means.js';
import { drawRunFigures } from '../lib/report/figures.js';
import type { EpochMetrics } from '../lib/train/trainer.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export async function figuresCase(seedCount = 10, epochs = 200, side = 28, k = 50): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ipcae-bench-figures-'));
  try {
    const r = rng(3);
    const D = side * side;
    const names = Array.from({ length: D }, (_, i) => `pixel_${Math.floor(i / side)}_${i % side}`);
    const seeds = Array.from({ length: seedCount }, (_, i) => 11 * (i + 1));
    const history: EpochMetrics[] = Array.from({ length: epochs }, (_, e) => ({
      epoch: e,
      temperature: 10 * (0.001 ** (e / epochs)),
      seconds: 0.6,
      replicas: seeds.map((seed) => ({ seed, trainLoss: 2 / (1 + e / 10), valLoss: 2 / (1 + e / 10) + 0.05 * r(), valMetric: 0.9 - 0.8 / (1 + e / 5) + 0.01 * r(), uniquePct: Math.min(100, 60 + e), gjsd: 0, meanMaxProb: 0.5, improved: true, diverged: false })),
    }));
    const seedSummaries: SeedSummary[] = seeds.map((seed) => {
      const selected = Array.from({ length: k }, () => Math.floor(r() * D));
      return { seed, bestEpoch: epochs - 1, testLoss: 0.3, testMetric: 0.9, uniquePct: 100, selected, selectedNames: selected.map((f) => names[f]), duplicates: 0 };
    });
    const summary = summarize({ dataset: 'mnist', task: 'classification', method: 'ip-cae', k, secondsTotal: 1 }, seedSummaries, names);
    writeFileSync(path.join(dir, 'metrics.arrow'), metricsToIPC(history));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ experiment: { dataset: 'mnist', task: 'classification', method: 'ip-cae', k }, trainer: { inputDim: D } }));
    writeFileSync(path.join(dir, FEATURE_MEANS), JSON.stringify({ names, values: names.map(() => r()) }));
    const lines: string[] = [];
    for (const call of ['first (loads vega, resvg, font)', 'second']) {
      const t0 = process.hrtime.bigint();
      const drawn = await drawRunFigures(dir);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      lines.push(`figures  ${seedCount} seeds × ${epochs} epochs, ${side}×${side} image, K=${k}  ${call}: ${s.toFixed(2)} s  (${drawn.map((d) => path.basename(d.pngFile)).join(', ')}; budget 2 s)`);
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
