// One experiment = one dataset × task × method × a group of seeds, trained as one replica group.
// Writes a run directory: config.json, manifest.json, metrics.arrow, selection-<seed>.json,
// state.bin (checkpoint), summary.json and summary.md. Re-running into the same directory resumes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromArrays, tableToIPC, tableFromIPC } from 'apache-arrow';
import { Trainer, capabilities, type EpochMetrics } from '../train/trainer.js';
import type { TrainerOptionsInput } from '../train/options.js';
import { methodOptions } from './methods.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { writeAtomic, writeJsonAtomic } from './files.js';
import type { PreparedDataset } from '../data/mice.js';
import { IpcaeError } from '../errors.js';

export type { ExperimentConfig } from '../config/experiment.js';

export interface SeedSummary {
  seed: number;
  bestEpoch: number;
  testLoss: number;
  testMetric: number;
  uniquePct: number;
  selected: number[];
  selectedNames: string[];
  /** Selector nodes that picked a feature another node had already picked. */
  duplicates: number;
}

export interface Summary {
  dataset: string;
  task: string;
  method: string;
  metric: 'accuracy' | 'reconstructionError';
  seeds: SeedSummary[];
  mean: number;
  std: number;
  meanUniquePct: number;
  secondsTotal: number;
  stability: { featureCounts: Record<string, number>; meanPairwiseJaccard: number; consensus: string[] };
}

export function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

export function stability(selections: number[][], names: string[], k: number) {
  const counts = new Map<number, number>();
  for (const s of selections) for (const f of new Set(s)) counts.set(f, (counts.get(f) ?? 0) + 1);
  let jac = 0,
    pairs = 0;
  for (let i = 0; i < selections.length; i++)
    for (let j = i + 1; j < selections.length; j++) {
      const a = new Set(selections[i]),
        b = new Set(selections[j]);
      const inter = [...a].filter((x) => b.has(x)).length;
      jac += inter / (a.size + b.size - inter);
      pairs++;
    }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return {
    featureCounts: Object.fromEntries(ranked.map(([f, c]) => [names[f] ?? String(f), c])),
    meanPairwiseJaccard: pairs ? jac / pairs : 1,
    consensus: ranked.slice(0, k).map(([f]) => names[f] ?? String(f)),
  };
}

export interface RunHooks {
  onEpoch?: (m: EpochMetrics) => void;
  /** Called once training is about to start (after a resume, from that epoch). */
  onStart?: (info: { resumedFromEpoch: number; epochs: number; device: string }) => void;
  signal?: AbortSignal;
}

export async function runExperiment(cfg: ExperimentConfig, data: PreparedDataset, outDir: string, hooks: RunHooks = {}): Promise<Summary> {
  const started = new Date();
  const options: TrainerOptionsInput = {
    ...methodOptions(cfg.method, cfg.gjsdLambda),
    task: cfg.task,
    inputDim: data.inputDim,
    k: cfg.k,
    outputDim: cfg.task === 'classification' ? data.classes : 0,
    hidden: cfg.decoder.hidden,
    dropout: cfg.decoder.dropout,
    embeddingDim: cfg.p,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    seeds: cfg.seeds,
    device: cfg.device,
    threads: cfg.threads,
    noise: cfg.noise,
    shuffle: cfg.shuffle,
  };
  const configFile = path.join(outDir, 'config.json');
  const resolved = { experiment: cfg, trainer: options };
  if (existsSync(configFile)) {
    const prev = JSON.parse(readFileSync(configFile, 'utf8'));
    if (JSON.stringify(prev) !== JSON.stringify(resolved))
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `${outDir} holds a run with a different configuration; choose another --out`);
  }
  writeJsonAtomic(configFile, resolved);
  const summaryFile = path.join(outDir, 'summary.json');
  if (existsSync(summaryFile)) return JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary; // finished before
  const trainer = new Trainer(options);
  try {
    await trainer.setData(data);
    const stateFile = path.join(outDir, 'state.bin');
    const metricsFile = path.join(outDir, 'metrics.arrow');
    const history: EpochMetrics[] = [];
    if (existsSync(stateFile)) {
      await trainer.loadState(readFileSync(stateFile));
      if (existsSync(metricsFile)) history.push(...readMetrics(readFileSync(metricsFile)));
      history.splice(trainer.info().epoch);
    }
    const c = capabilities();
    const manifest = {
      ipcae: '0.1.0',
      torch: c.torchVersion,
      device: trainer.info().device,
      blas: c.blasLibrary,
      seeds: cfg.seeds,
      command: process.argv.join(' '),
      started: started.toISOString(),
      resumedFromEpoch: trainer.info().epoch,
      data: {
        name: data.name,
        train: data.indices.train.length,
        val: data.indices.val.length,
        test: data.indices.test.length,
        sources: data.sources,
      },
    };
    writeJsonAtomic(path.join(outDir, 'manifest.json'), manifest);
    hooks.onStart?.({ resumedFromEpoch: manifest.resumedFromEpoch, epochs: cfg.epochs, device: manifest.device });
    const t0 = Date.now();
    const save = async () => {
      writeAtomic(stateFile, await trainer.saveState());
      writeAtomic(metricsFile, metricsToIPC(history));
    };
    let epoch = trainer.info().epoch;
    try {
      while (epoch < cfg.epochs) {
        const until = Math.min(cfg.epochs, epoch + cfg.checkpointEvery);
        await trainer.fit({ epochs: cfg.epochs, t0: cfg.temperature.start, tEnd: cfg.temperature.end, until, signal: hooks.signal, onEpoch: (m) => {
          history.push(m);
          hooks.onEpoch?.(m);
        } });
        epoch = trainer.info().epoch;
        await save();
      }
    } catch (e) {
      // Cancelled or failed: keep everything computed up to the last finished epoch.
      await save();
      throw e;
    }
    const results = await trainer.results();
    const seeds: SeedSummary[] = results.map((r, i) => ({
      seed: r.seed,
      bestEpoch: r.bestEpoch,
      testLoss: r.test.loss,
      testMetric: r.test.metric,
      uniquePct: (100 * new Set(r.selected).size) / r.selected.length,
      selected: r.selected,
      selectedNames: r.selected.map((f) => data.featureNames[f] ?? String(f)),
      duplicates: r.selected.length - new Set(r.selected).size,
    }));
    for (const [i, r] of results.entries()) {
      writeJsonAtomic(path.join(outDir, `selection-${r.seed}.json`), {
        seed: r.seed,
        indices: r.selected,
        names: seeds[i].selectedNames,
        shape: [cfg.k, data.inputDim],
        probabilities: Array.from(r.probabilities, (v) => Number(v.toPrecision(6))),
      });
      // best-validation parameters: float32 little-endian values, described by the JSON index
      const params = trainer.replicaParameters(i, { best: true });
      let offset = 0;
      const index = params.map((p) => {
        const e = { name: p.name, shape: p.shape, offset, length: p.values.length };
        offset += p.values.length;
        return e;
      });
      const bin = new Float32Array(offset);
      params.forEach((p, j) => bin.set(p.values, index[j].offset));
      writeAtomic(path.join(outDir, `parameters-${r.seed}.bin`), new Uint8Array(bin.buffer));
      writeJsonAtomic(path.join(outDir, `parameters-${r.seed}.json`), {
        dtype: 'float32',
        byteOrder: 'little-endian',
        file: `parameters-${r.seed}.bin`,
        note: 'weights are stored transposed ([in, out]) as the trainer uses them',
        tensors: index,
      });
    }
    const metric = cfg.task === 'classification' ? 'accuracy' : 'reconstructionError';
    const scale = cfg.task === 'classification' ? 100 : 1;
    const ms = meanStd(seeds.map((s) => s.testMetric * scale));
    const summary: Summary = {
      dataset: cfg.dataset,
      task: cfg.task,
      method: cfg.method,
      metric,
      seeds,
      mean: ms.mean,
      std: ms.std,
      meanUniquePct: meanStd(seeds.map((s) => s.uniquePct)).mean,
      secondsTotal: (Date.now() - t0) / 1000,
      stability: stability(seeds.map((s) => s.selected), data.featureNames, cfg.k),
    };
    writeJsonAtomic(summaryFile, summary);
    writeAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
    writeJsonAtomic(path.join(outDir, 'manifest.json'), { ...manifest, finished: new Date().toISOString() });
    return summary;
  } finally {
    trainer.dispose();
  }
}

export function formatValue(s: Summary): string {
  return s.metric === 'accuracy' ? `${s.mean.toFixed(2)} ± ${s.std.toFixed(2)}` : `${s.mean.toExponential(2)} ± ${s.std.toExponential(2)}`;
}

export function summaryMarkdown(s: Summary): string {
  const lines = [
    `# ${s.dataset} · ${s.task} · ${s.method}`,
    '',
    `| method | ${s.metric === 'accuracy' ? 'test accuracy (%)' : 'test reconstruction error'} | unique % | seeds |`,
    '|---|---|---|---|',
    `| ${s.method} | ${formatValue(s)} | ${s.meanUniquePct.toFixed(1)} | ${s.seeds.length} |`,
    '',
    'mean ± sample standard deviation over seeds; test with the best-validation parameters of each seed.',
    '',
    '| seed | best epoch | test metric | unique % | duplicates |',
    '|---|---|---|---|---|',
    ...s.seeds.map(
      (x) =>
        `| ${x.seed} | ${x.bestEpoch} | ${s.metric === 'accuracy' ? (x.testMetric * 100).toFixed(2) : x.testMetric.toExponential(3)} | ${x.uniquePct.toFixed(0)} | ${x.duplicates} |`,
    ),
    '',
    `Selection stability: mean pairwise Jaccard ${s.stability.meanPairwiseJaccard.toFixed(3)}; consensus: ${s.stability.consensus.join(', ')}`,
    '',
  ];
  return lines.join('\n');
}

function metricsToIPC(history: EpochMetrics[]): Uint8Array {
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
    });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}
