// One experiment = one dataset × task × method × a group of seeds, trained as one replica group.
// Writes a run directory: config.json, manifest.json, state.bin (checkpoint: state and metrics,
// with a checksum; state.prev.bin the one before), metrics.arrow, selection-<seed>.json,
// parameters-<seed>.bin/json, summary.md, and last summary.json, the commit point. Re-running the
// same command into the same directory resumes, after a kill at any moment, to the same result.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Trainer, capabilities, preload, type EpochMetrics } from '../train/trainer.js';
import type { TrainerOptionsInput } from '../train/options.js';
import { isBaselineMethod, methodOptions } from '../train/methods.js';
import { runBaseline, retrainOptions, DEFAULT_RETRAIN_EPOCHS } from './baseline.js';
import { retrainNative, toNativeSplits } from '../baselines/native.js';
import { meanStd } from '../stats/stats.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import type { PreparedDataset } from '../data/dataset.js';
import { IpcaeError } from '../errors.js';
import { selectionMass } from '../stats/scores.js';
import { distinctSelection } from '../stats/assignment.js';
import { populationVariance } from '../stats/stats.js';
import { metricsToIPC } from './metrics-file.js';
import { writeFeatureMeans } from './feature-means.js';
import { CHECKPOINT, PREVIOUS_CHECKPOINT, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { ensureDir, removeStrayTemporaries } from '../files/dirs.js';
import { lockDirectory } from '../files/lock.js';
import { divergedError, runSettings, summarize, summaryMarkdown, type SeedSummary, type Summary } from './summary.js';

export interface RunHooks {
  onEpoch?: (m: EpochMetrics) => void;
  /** Something the user should know that does not stop the run (a fallback checkpoint, stray files removed). */
  onWarning?: (message: string) => void;
  /** A stage of a baseline run finished (an STG search round; LassoNet's path so far): one line for the user. */
  onStage?: (message: string) => void;
  /** Start over: remove the run's files in the directory first (a different config or data is then accepted). */
  restart?: boolean;
  /** How long to wait for another process's lock on the directory (default 0: refuse at once). */
  lockWaitMs?: number;
  /** Called once training is about to start (after a resume, from that epoch). */
  onStart?: (info: { resumedFromEpoch: number; epochs: number; device: string }) => void;
  signal?: AbortSignal;
}

export async function runExperiment(cfg: ExperimentConfig, data: PreparedDataset, outDir: string, hooks: RunHooks = {}): Promise<Summary> {
  if (isBaselineMethod(cfg.method)) return runBaseline(cfg, data, outDir, hooks);
  const method = cfg.method;
  const started = new Date();
  const options: TrainerOptionsInput = {
    ...methodOptions(method, cfg.gjsdLambda),
    task: cfg.task,
    inputDim: data.inputDim,
    k: cfg.k,
    outputDim: cfg.task === 'classification' ? data.classes : cfg.task === 'regression' ? 1 : 0,
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
  const resolved = { experiment: cfg, trainer: options };
  // Everything is validated before anything is written: the options (by the trainer), the data
  // (setData), the output directory (created by walking it, then locked against a second writer).
  await preload(); // LibTorch starts off the event loop
  const trainer = new Trainer(options);
  let release: (() => Promise<void>) | undefined;
  try {
    await trainer.setData(data);
    const opened = await openRunDirectory(outDir, resolved, data, hooks);
    release = opened.release;
    if (opened.finished) return opened.finished;
    const { configFile, summaryFile, manifestFile } = opened;
    writeJsonAtomic(configFile, resolved);
    const metricsFile = path.join(outDir, 'metrics.arrow');
    const history: EpochMetrics[] = [];
    const checkpoint = loadCheckpoint(outDir);
    if (checkpoint) {
      await trainer.loadState(checkpoint.state);
      history.push(...checkpoint.history);
      history.splice(trainer.info().epoch);
      if (checkpoint.warning) hooks.onWarning?.(checkpoint.warning);
    }
    const c = capabilities();
    const manifest = {
      ipcae: '0.1.0',
      torch: c.torchVersion,
      device: trainer.info().device,
      blas: c.blasLibrary,
      kernels: c.isa,
      seeds: cfg.seeds,
      command: process.argv.join(' '),
      started: started.toISOString(),
      resumedFromEpoch: trainer.info().epoch,
      ...(checkpoint?.warning ? { resumeWarning: checkpoint.warning } : {}),
      data: {
        name: data.name,
        train: data.indices.train.length,
        val: data.indices.val.length,
        test: data.indices.test.length,
        sources: data.sources,
      },
    };
    writeJsonAtomic(manifestFile, manifest);
    hooks.onStart?.({ resumedFromEpoch: manifest.resumedFromEpoch, epochs: cfg.epochs, device: manifest.device });
    const t0 = Date.now();
    // The checkpoint holds the state and every epoch's metrics; metrics.arrow is a copy for readers.
    let metricsWritten = -1; // epochs in metrics.arrow as this process last wrote it
    const save = async () => {
      const metrics = metricsToIPC(history);
      saveCheckpoint(outDir, { epoch: trainer.info().epoch, state: await trainer.saveState(), history }, metrics);
      writeAtomic(metricsFile, metrics);
      metricsWritten = history.length;
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
      try {
        await save();
      } catch (saveError) {
        if (saveError !== e) (e as { saveError?: unknown }).saveError = saveError;
      }
      throw e;
    }
    // Resumed from a final checkpoint without training: metrics.arrow may lag it (a kill between
    // the two writes), so bring it up to date.
    if (metricsWritten !== history.length) writeAtomic(metricsFile, metricsToIPC(history));
    // A diverged seed has no result: no selection or parameter file, not in the mean.
    const all = await trainer.results();
    const results = all.filter((r) => r.divergedAtEpoch === null);
    const diverged = all.filter((r) => r.divergedAtEpoch !== null).map((r) => ({ seed: r.seed, epoch: r.divergedAtEpoch! }));
    const variance = cfg.task === 'regression' ? populationVariance(data.test.y) : 0;
    // Beside the faithful result: each seed whose nodes share a feature, with K distinct features
    // by assignment and its decoder evaluated on them (the headline numbers stay the paper's).
    const distinct = all.map((r) => distinctSelection(r.probabilities, cfg.k, data.inputDim, r.selected));
    const distinctTest = distinct.some((d, i) => d !== all[i].selected) ? await trainer.evaluate('test', { selection: distinct }) : undefined;
    const seeds: SeedSummary[] = results.map((r) => ({
      seed: r.seed,
      bestEpoch: r.bestEpoch,
      testLoss: r.test.loss,
      testMetric: r.test.metric,
      uniquePct: (100 * new Set(r.selected).size) / r.selected.length,
      selected: r.selected,
      selectedNames: r.selected.map((f) => data.featureNames[f] ?? String(f)),
      duplicates: r.selected.length - new Set(r.selected).size,
      ...(variance > 0 ? { r2: 1 - r.test.metric / variance } : {}),
      mass: selectionMass(r.probabilities, cfg.k, data.inputDim).map((v) => Number(v.toPrecision(6))),
      ...(distinct[all.indexOf(r)] !== r.selected
        ? {
            distinct: {
              selected: distinct[all.indexOf(r)],
              selectedNames: distinct[all.indexOf(r)].map((f) => data.featureNames[f] ?? String(f)),
              testMetric: distinctTest!.metric[all.indexOf(r)],
            },
          }
        : {}),
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
      const binBytes = new Uint8Array(bin.buffer);
      writeAtomic(path.join(outDir, `parameters-${r.seed}.bin`), binBytes);
      writeJsonAtomic(path.join(outDir, `parameters-${r.seed}.json`), {
        dtype: 'float32',
        byteOrder: 'little-endian',
        file: `parameters-${r.seed}.bin`,
        sha256: createHash('sha256').update(binBytes).digest('hex'),
        note: 'weights are stored transposed ([in, out]) as the trainer uses them',
        tensors: index,
      });
    }
    writeFeatureMeans(outDir, data);
    let retrained: Summary['retrained'];
    if (cfg.retrain && results.length) {
      // The retrain evaluation (not the paper's protocol for these methods: reported beside it).
      const epochs = cfg.retrainEpochs ?? DEFAULT_RETRAIN_EPOCHS;
      const re = await retrainNative({ ...retrainOptions(cfg, data), seeds: results.map((r) => r.seed) }, toNativeSplits(data, cfg.task), results.map((r) => r.selected), epochs);
      seeds.forEach((s, i) => (s.retrained = { testMetric: re.testMetric[i], testLoss: re.testLoss[i], bestEpoch: re.bestEpoch[i] }));
      const scale = cfg.task === 'classification' ? 100 : 1;
      retrained = { ...meanStd(re.testMetric.map((v) => v * scale)), epochs };
    }
    const summary = summarize({ ...cfg, settings: runSettings(cfg), secondsTotal: (Date.now() - t0) / 1000 }, seeds, data.featureNames);
    if (retrained) summary.retrained = retrained;
    if (diverged.length) summary.diverged = diverged;
    writeAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
    writeJsonAtomic(manifestFile, { ...manifest, finished: new Date().toISOString() });
    writeJsonAtomic(summaryFile, summary); // the commit point: the run is finished once this exists
    const err = divergedError(summary, outDir);
    if (err) throw err;
    return summary;
  } finally {
    trainer.dispose();
    await release?.();
  }
}

/**
 * Creates and locks a run directory and checks it against this run: the same configuration, the
 * same data. Returns the finished result when summary.json (the commit point) is already there.
 */
export async function openRunDirectory(
  outDir: string,
  resolved: unknown,
  data: PreparedDataset,
  hooks: Pick<RunHooks, 'lockWaitMs' | 'onWarning' | 'restart'>,
): Promise<{ release: () => Promise<void>; configFile: string; summaryFile: string; manifestFile: string; finished?: Summary }> {
  ensureDir(outDir);
  const release = await lockDirectory(outDir, hooks.lockWaitMs ?? 0);
  try {
    const stray = removeStrayTemporaries(outDir);
    if (stray.length) hooks.onWarning?.(`removed ${stray.length} temporary file(s) left by an interrupted run: ${stray.join(', ')}`);
    if (hooks.restart) clearRun(outDir);
    const configFile = path.join(outDir, 'config.json');
    if (existsSync(configFile)) {
      const prev = readJson(configFile);
      const diff = differences(prev, resolved);
      if (diff.length)
        throw new IpcaeError('ERR_INVALID_ARGUMENT', `${outDir} holds a run with a different configuration (${diff.join('; ')}); choose another --out, or --restart to replace it`);
    }
    const summaryFile = path.join(outDir, 'summary.json');
    const manifestFile = path.join(outDir, 'manifest.json');
    if (existsSync(manifestFile) && (existsSync(summaryFile) || existsSync(path.join(outDir, CHECKPOINT)) || existsSync(path.join(outDir, PREVIOUS_CHECKPOINT)) || existsSync(path.join(outDir, 'search.json'))))
      checkSameData(outDir, readJson(manifestFile) as { data?: { sources?: PreparedDataset['sources'] } }, data);
    let finished: Summary | undefined;
    if (existsSync(summaryFile)) {
      // finished before (summary.json is the commit point: written last)
      finished = readJson(summaryFile) as Summary;
      const diverged = divergedError(finished, outDir);
      if (diverged) throw diverged;
    }
    return { release, configFile, summaryFile, manifestFile, finished };
  } catch (e) {
    await release();
    throw e;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${file} is not readable JSON (${(e as Error).message}); it is not a file this version of ipcae wrote: choose another --out, or --restart`);
  }
}

/** 'key: a → b' for every leaf where two JSON values differ. */
export function differences(a: unknown, b: unknown, where = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], where ? `${where}.${k}` : k));
  }
  return [`${where}: ${JSON.stringify(a) ?? 'absent'} then, ${JSON.stringify(b) ?? 'absent'} now`];
}

/** Refuses to resume (or to return a finished result) on data other than the run's. */
function checkSameData(outDir: string, prev: { data?: { sources?: PreparedDataset['sources'] } }, data: PreparedDataset): void {
  const before = prev.data?.sources ?? [];
  const now = data.sources;
  const changed: string[] = [];
  for (let i = 0; i < Math.max(before.length, now.length); i++) {
    const b = before[i], n = now[i];
    if (b?.sha256 !== n?.sha256) changed.push(`${n?.file ?? b?.file}: sha256 ${b?.sha256 ?? 'absent'} then, ${n?.sha256 ?? 'absent'} now`);
  }
  if (changed.length)
    throw new IpcaeError(
      'ERR_DATA',
      `${outDir} was trained on other data (${changed.join('; ')}); restore the data to resume, or --restart to train again from epoch 0 on this data`,
    );
}

/** The files of a run (nothing else in the directory is touched). */
const RUN_FILE = /^(config\.json|manifest\.json|metrics\.arrow|state(\.prev|\.next)?\.bin|search\.json|feature-means\.json|selection-\d+\.json|parameters-\d+\.(bin|json)|summary\.(json|md))$/;

function clearRun(outDir: string): void {
  for (const f of readdirSync(outDir)) if (RUN_FILE.test(f)) rmSync(path.join(outDir, f), { force: true });
}

/** One seed's best-validation parameters from a finished run, checked against their checksum. */
export function readParameters(outDir: string, seed: number): { name: string; shape: number[]; values: Float32Array }[] {
  const index = readJson(path.join(outDir, `parameters-${seed}.json`)) as {
    file: string;
    sha256?: string;
    tensors: { name: string; shape: number[]; offset: number; length: number }[];
  };
  const bytes = readFileSync(path.join(outDir, index.file));
  const sum = createHash('sha256').update(bytes).digest('hex');
  if (index.sha256 !== undefined && sum !== index.sha256)
    throw new IpcaeError('ERR_DATA', `${path.join(outDir, index.file)} is damaged: sha256 ${sum}, expected ${index.sha256}`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return index.tensors.map((t) => ({ name: t.name, shape: t.shape, values: all.slice(t.offset, t.offset + t.length) }));
}
