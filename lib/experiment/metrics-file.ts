// metrics.arrow: one row per (epoch, seed) of a run's per-epoch metrics, as an Arrow IPC file.
import { tableFromArrays, tableToIPC, tableFromIPC } from 'apache-arrow';
import type { EpochMetrics } from '../train/trainer.js';

export function metricsToIPC(history: EpochMetrics[]): Uint8Array {
  const rows = history.flatMap((h) => h.replicas.map((r) => ({ ...r, epoch: h.epoch, temperature: h.temperature, seconds: h.seconds })));
  const col = (f: (r: (typeof rows)[number]) => number) => Float64Array.from(rows.map(f));
  const table = tableFromArrays({
    seed: Int32Array.from(rows.map((r) => r.seed)),
    epoch: Int32Array.from(rows.map((r) => r.epoch)),
    temperature: col((r) => r.temperature),
    seconds: col((r) => r.seconds),
    trainLoss: col((r) => r.trainLoss),
    valLoss: col((r) => r.valLoss),
    valMetric: col((r) => r.valMetric),
    uniquePct: col((r) => r.uniquePct),
    gjsd: col((r) => r.gjsd),
    meanMaxProb: col((r) => r.meanMaxProb),
    improved: Uint8Array.from(rows.map((r) => (r.improved ? 1 : 0))),
    diverged: Uint8Array.from(rows.map((r) => (r.diverged ? 1 : 0))),
  });
  return tableToIPC(table, 'file');
}

export function readMetrics(bytes: Uint8Array): EpochMetrics[] {
  const t = tableFromIPC(bytes);
  const byEpoch = new Map<number, EpochMetrics>();
  for (const row of t) {
    const r = row.toJSON() as Record<string, number>;
    let h = byEpoch.get(r.epoch);
    if (!h) byEpoch.set(r.epoch, (h = { epoch: r.epoch, temperature: r.temperature, seconds: r.seconds, replicas: [] }));
    h.replicas.push({
      seed: r.seed,
      trainLoss: r.trainLoss,
      valLoss: r.valLoss,
      valMetric: r.valMetric,
      uniquePct: r.uniquePct,
      gjsd: r.gjsd,
      meanMaxProb: r.meanMaxProb,
      improved: r.improved === 1,
      diverged: r.diverged === 1, // absent (false) in files written before divergence was recorded
    });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}
