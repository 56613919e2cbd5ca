// One experiment = one dataset × task × method × a group of seeds, trained as one replica group.
// Writes a run directory: config.json, manifest.json, metrics.arrow, selection-<seed>.json,
// state.bin (checkpoint), summary.json and summary.md. Re-running into the same directory resumes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Trainer, capabilities, type EpochMetrics } from '../train/trainer.js';
import type { TrainerOptionsInput } from '../train/options.js';
import { methodOptions } from '../train/methods.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import type { PreparedDataset } from '../data/dataset.js';
import { IpcaeError } from '../errors.js';
import { metricsToIPC, readMetrics } from './metrics-file.js';
import { divergedError, summarize, summaryMarkdown, type SeedSummary, type Summary } from './summary.js';

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
  if (existsSync(summaryFile)) {
    // finished before
    const done = JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary;
    const diverged = divergedError(done, outDir);
    if (diverged) throw diverged;
    return done;
  }
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
    // A diverged seed has no result: no selection or parameter file, not in the mean.
    const all = await trainer.results();
    const results = all.filter((r) => r.divergedAtEpoch === null);
    const diverged = all.filter((r) => r.divergedAtEpoch !== null).map((r) => ({ seed: r.seed, epoch: r.divergedAtEpoch! }));
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
      const params = trainer.replicaParameters(all.indexOf(r), { best: true });
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
    const summary = summarize({ ...cfg, secondsTotal: (Date.now() - t0) / 1000 }, seeds, data.featureNames);
    if (diverged.length) summary.diverged = diverged;
    writeJsonAtomic(summaryFile, summary);
    writeAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
    writeJsonAtomic(path.join(outDir, 'manifest.json'), { ...manifest, finished: new Date().toISOString() });
    const err = divergedError(summary, outDir);
    if (err) throw err;
    return summary;
  } finally {
    trainer.dispose();
  }
}
