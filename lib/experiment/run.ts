// One experiment = one dataset × task × method × a group of seeds, trained as one replica group.
// Writes a run directory: config.json, manifest.json, state.bin (checkpoint: state and metrics,
// with a checksum; state.prev.bin the one before), metrics.arrow, selection-<seed>.json,
// parameters-<seed>.bin/json, summary.md, and last summary.json, the commit point. Re-running the
// same command into the same directory resumes, after a kill at any moment, to the same result.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Trainer, capabilities, preload, type EpochMetrics } from '../train/trainer.js';
import type { TrainerOptionsInput } from '../train/options.js';
import { isBaselineMethod, methodOptions, type Method } from '../train/methods.js';
import { runBaseline, retrainOptions } from './baseline.js';
import { DEFAULT_RETRAIN_EPOCHS } from '../baselines/options.js';
import { openRunDirectory, readJson, type RunHooks } from './run-directory.js';
export type { RunHooks } from './run-directory.js';
import { toNativeSplits } from '../baselines/native.js';
import { meanStd } from '../stats/stats.js';
import { withWidthDefaults, type ExperimentConfig, type RunConfig } from '../config/experiment.js';
import { packageVersion } from '../files/package-root.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import type { PreparedDataset } from '../datasets/dataset.js';
import { IpcaeError } from '../errors.js';
import { selectionMass } from '../stats/scores.js';
import { selectorOutcomes, trainSelector } from '../fit/selector.js';
import { metricsToIPC, readMetrics } from './metrics-file.js';
import { writeFeatureMeans } from './feature-means.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { RunClock } from './sittings.js';
import { availableMemory, estimateMemory, formatGiB, memoryBudgetError, replicasThatFit, type MemoryEstimate } from '../train/memory-model.js';
import { divergedError, runSettings, summarize, summaryMarkdown, type SeedSummary, type Summary } from './summary.js';
import { outputWidth, taskMetric } from '../task.js';


/** The memory model's estimate for a run of a selector method (undefined for the baselines: not modelled). */
export function estimateRun(given: ExperimentConfig, data: PreparedDataset): MemoryEstimate | undefined {
  const cfg = withWidthDefaults(given, data.inputDim);
  if (isBaselineMethod(cfg.method)) return undefined;
  const m = methodOptions(cfg.method, cfg.gjsdLambda);
  return estimateMemory({
    inputDim: data.inputDim,
    rows: { train: data.indices.train.length, val: data.indices.val.length, test: data.indices.test.length },
    outputDim: outputWidth(cfg.task, data.classes),
    task: cfg.task,
    k: cfg.k,
    selector: m.selector ?? 'ip',
    ipWeights: m.ipWeights,
    p: cfg.p,
    hidden: cfg.decoder.hidden,
    batchSize: cfg.batchSize,
    replicas: cfg.seeds.length,
    noise: cfg.noise,
  });
}

/**
 * ERR_MEMORY_BUDGET when the estimate exceeds `limit`: the numbers, and what to change (how many
 * seeds fit, a smaller P, CAE, per-batch noise). Nothing has been written when it throws.
 */
export function checkMemoryBudget(given: ExperimentConfig, data: PreparedDataset, e: MemoryEstimate, limit: number): void {
  if (e.peakBytes <= limit) return;
  const cfg = withWidthDefaults(given, data.inputDim);
  throw memoryBudgetError(
    e,
    limit,
    { seeds: cfg.seeds.length, seedsFit: seedsPerGroup(cfg, data, limit), D: data.inputDim, k: cfg.k, ip: cfg.method.startsWith('ip-'), p: cfg.p, noise: cfg.noise, where: "--memory-limit or the machine's memory" },
    { p: '--p', method: '--method', noise: '--noise', seeds: 'the others in another run' },
  );
}

/**
 * How many of the run's seeds fit in memory together (the largest group whose estimate is within
 * `limit`); 0 when not even one does.
 */
export function seedsPerGroup(cfg: ExperimentConfig, data: PreparedDataset, limit: number): number {
  return replicasThatFit((n) => estimateRun({ ...cfg, seeds: cfg.seeds.slice(0, n) }, data)!, cfg.seeds.length, limit);
}

/** The seeds in groups of `size`, in order. */
export const seedGroups = (seeds: number[], size: number): number[][] =>
  Array.from({ length: Math.ceil(seeds.length / size) }, (_, i) => seeds.slice(i * size, (i + 1) * size));

export async function runExperiment(given: ExperimentConfig, data: PreparedDataset, outDir: string, hooks: RunHooks = {}): Promise<Summary> {
  if (isBaselineMethod(given.method)) return runBaseline(given, data, outDir, hooks);
  // P and the noise, where the config leaves them to the table's width, are decided here: the run
  // records the resolved values (and why) in config.json and its summary.
  const cfg = withWidthDefaults(given, data.inputDim);
  // The memory model, before anything is allocated or written: a run that cannot fit is split into
  // groups of seeds run one after another (each seed's result is the one it has alone), or refused
  // when not even one seed fits.
  const estimate = estimateRun(cfg, data)!;
  const memoryLimit = hooks.memoryLimit ?? availableMemory();
  // A finished run is returned as it was grouped, whatever memory there is now (the run directory
  // still checks that the config and the data are the same).
  const finished = finishedGrouping(outDir);
  if (finished && !hooks.restart)
    return finished.length > 1 ? runInGroups(cfg, data, outDir, hooks, finished, estimate, memoryLimit) : runGroup(cfg, data, outDir, hooks, { estimate, memoryLimit });
  if (estimate.peakBytes > memoryLimit && cfg.seeds.length > 1) {
    const size = seedsPerGroup(cfg, data, memoryLimit);
    if (size >= 1) return runInGroups(cfg, data, outDir, hooks, seedGroups(cfg.seeds, size), estimate, memoryLimit);
  }
  checkMemoryBudget(cfg, data, estimate, memoryLimit);
  return runGroup(cfg, data, outDir, hooks, { estimate, memoryLimit });
}

/** The seed groups of a finished run in outDir (one group when it was not split); undefined when there is none. */
function finishedGrouping(outDir: string): number[][] | undefined {
  if (!existsSync(path.join(outDir, 'summary.json')) || !existsSync(path.join(outDir, 'config.json'))) return undefined;
  try {
    const c = readJson(path.join(outDir, 'config.json')) as { experiment?: { seeds?: number[] }; seedGroups?: number[][] };
    return c.seedGroups ?? (c.experiment?.seeds ? [c.experiment.seeds] : undefined);
  } catch {
    return undefined; // unreadable: the run directory's own checks say why
  }
}

/** Trainer options of a selector method's run. shuffleSeed: a group's, when the run is split. */
function trainerOptions(cfg: RunConfig, data: PreparedDataset, shuffleSeed?: number): TrainerOptionsInput {
  return {
    ...methodOptions(cfg.method as Method, cfg.gjsdLambda),
    task: cfg.task,
    inputDim: data.inputDim,
    k: cfg.k,
    outputDim: outputWidth(cfg.task, data.classes),
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
    ...(shuffleSeed !== undefined ? { shuffleSeed } : {}),
  };
}

/** The group directories of a split run. */
export const groupDir = (outDir: string, i: number) => path.join(outDir, 'groups', `g${i + 1}`);

/**
 * A run whose seeds do not fit together: each group of seeds is a run of its own in
 * <out>/groups/g<i>/ (resumable like any run), one after another; then the run directory gets the
 * seeds' files, the merged metrics and one summary, as if the seeds had trained together. With
 * shuffling, every group shuffles as the whole group would (the first seed's order).
 */
async function runInGroups(
  cfg: RunConfig,
  data: PreparedDataset,
  outDir: string,
  hooks: RunHooks,
  groups: number[][],
  estimate: MemoryEstimate,
  memoryLimit: number,
): Promise<Summary> {
  const resolved = { experiment: cfg, trainer: trainerOptions(cfg, data), seedGroups: groups };
  const opened = await openRunDirectory(outDir, resolved, data, hooks);
  const started = new Date();
  try {
    if (opened.finished) return opened.finished;
    writeJsonAtomic(opened.configFile, resolved);
    hooks.onWarning?.(
      `the ${cfg.seeds.length} seeds do not fit in ${formatGiB(memoryLimit)} together (estimated ${formatGiB(estimate.peakBytes)}): training them in ${groups.length} groups of up to ${groups[0].length}, one after another (${outDir}/groups/)`,
    );
    const summaries: Summary[] = [];
    for (const [i, seeds] of groups.entries()) {
      const sub = { ...cfg, seeds };
      try {
        summaries.push(await runGroup(sub, data, groupDir(outDir, i), hooks, { estimate: estimateRun(sub, data)!, memoryLimit, shuffleSeed: cfg.seeds[0] }));
      } catch (e) {
        // a group with diverged seeds has written its summary: its other seeds count (the error is raised below)
        if ((e as { code?: string }).code !== 'ERR_DIVERGED') throw e;
        summaries.push(readJson(path.join(groupDir(outDir, i), 'summary.json')) as Summary);
      }
    }
    // The seeds' files, as a run of all of them writes them
    for (const [i] of groups.entries()) {
      const dir = groupDir(outDir, i);
      for (const f of readdirSync(dir).filter((n) => /^(selection|parameters)-\d+\.(json|bin)$/.test(n)))
        writeAtomic(path.join(outDir, f), readFileSync(path.join(dir, f)));
    }
    const histories = groups.map((_, i) => readMetrics(readFileSync(path.join(groupDir(outDir, i), 'metrics.arrow'))));
    const history: EpochMetrics[] = histories[0].map((h, e) => ({ ...h, seconds: histories.reduce((a, x) => a + (x[e]?.seconds ?? 0), 0), replicas: histories.flatMap((x) => x[e]?.replicas ?? []) }));
    writeAtomic(path.join(outDir, 'metrics.arrow'), metricsToIPC(history));
    writeFeatureMeans(outDir, data);
    const seeds = summaries.flatMap((x) => x.seeds);
    const summary = summarize({ ...cfg, settings: runSettings(cfg), secondsTotal: summaries.reduce((a, x) => a + x.secondsTotal, 0) }, seeds, data.featureNames);
    const diverged = summaries.flatMap((x) => x.diverged ?? []);
    if (diverged.length) summary.diverged = diverged;
    if (seeds.length && seeds.every((x) => x.retrained)) {
      const scale = taskMetric(cfg.task).scale;
      summary.retrained = { ...meanStd(seeds.map((x) => x.retrained!.testMetric * scale)), epochs: summaries.find((x) => x.retrained)!.retrained!.epochs };
    }
    const c = capabilities();
    writeJsonAtomic(opened.manifestFile, {
      ipcae: packageVersion(),
      torch: c.torchVersion,
      seeds: cfg.seeds,
      seedGroups: groups,
      command: process.argv.join(' '),
      started: started.toISOString(),
      memory: { estimatedPeakBytes: Math.round(estimate.peakBytes), limitBytes: memoryLimit, perGroupBytes: Math.round(estimateRun({ ...cfg, seeds: groups[0] }, data)!.peakBytes) },
      data: { name: data.name, train: data.indices.train.length, val: data.indices.val.length, test: data.indices.test.length, sources: data.sources },
      finished: new Date().toISOString(),
    });
    writeAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
    writeJsonAtomic(opened.summaryFile, summary);
    const err = divergedError(summary, outDir);
    if (err) throw err;
    return summary;
  } finally {
    await opened.release();
  }
}

async function runGroup(
  cfg: RunConfig,
  data: PreparedDataset,
  outDir: string,
  hooks: RunHooks,
  memory: { estimate: MemoryEstimate; memoryLimit: number; shuffleSeed?: number },
): Promise<Summary> {
  const { estimate, memoryLimit } = memory;
  const started = new Date();
  const options: TrainerOptionsInput = trainerOptions(cfg, data, memory.shuffleSeed);
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
      await trainer.loadArchive(checkpoint.state);
      history.push(...checkpoint.history);
      history.splice(trainer.info().epoch);
      if (checkpoint.warning) hooks.onWarning?.(checkpoint.warning);
    }
    const c = capabilities();
    const manifest = {
      ipcae: packageVersion(),
      torch: c.torchVersion,
      device: trainer.info().device,
      blas: c.blasLibrary,
      kernels: c.isa,
      seeds: cfg.seeds,
      command: process.argv.join(' '),
      started: started.toISOString(),
      resumedFromEpoch: trainer.info().epoch,
      memory: { estimatedPeakBytes: Math.round(estimate.peakBytes), limitBytes: memoryLimit, terms: estimate.terms, parametersPerReplica: estimate.parametersPerReplica },
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
    const clock = new RunClock(checkpoint);
    // The checkpoint holds the state and every epoch's metrics; metrics.arrow is a copy for readers.
    let metricsWritten = -1; // epochs in metrics.arrow as this process last wrote it
    const save = async () => {
      const metrics = metricsToIPC(history);
      saveCheckpoint(outDir, { epoch: trainer.info().epoch, state: await trainer.saveArchive(), history, ...clock.record() }, metrics);
      writeAtomic(metricsFile, metrics);
      metricsWritten = history.length;
    };
    try {
      await trainSelector(trainer, {
        epochs: cfg.epochs,
        temperature: cfg.temperature,
        chunk: cfg.checkpointEvery,
        afterChunk: save,
        signal: hooks.signal,
        onEpoch: (m) => {
          history.push(m);
          hooks.onEpoch?.(m);
        },
      });
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
    // A diverged seed has no result: no selection or parameter file, not in the mean. Beside the
    // faithful result: each seed whose nodes share a feature, with K distinct features by
    // assignment and its decoder tested on them (the headline numbers stay the paper's).
    const outcome = await selectorOutcomes(
      trainer,
      {
        distinct: 'beside',
        finetune: 0,
        ...(cfg.retrain ? { retrain: { epochs: cfg.retrainEpochs ?? DEFAULT_RETRAIN_EPOCHS, options: retrainOptions(cfg, data), splits: toNativeSplits(data, cfg.task) } } : {}),
      },
      { task: cfg.task, yTest: data.test.y },
    );
    const { diverged } = outcome;
    const names = (sel: number[]) => sel.map((f) => data.featureNames[f] ?? String(f));
    const seeds: SeedSummary[] = outcome.seeds.map((x) => ({
      seed: x.seed,
      bestEpoch: x.bestEpoch,
      testLoss: x.argmax.test.loss,
      testMetric: x.argmax.test.metric,
      uniquePct: (100 * new Set(x.argmax.selected).size) / x.argmax.selected.length,
      selected: x.argmax.selected,
      selectedNames: names(x.argmax.selected),
      duplicates: x.argmax.selected.length - new Set(x.argmax.selected).size,
      ...(x.r2 !== undefined ? { r2: x.r2 } : {}),
      mass: selectionMass(x.probabilities, cfg.k, data.inputDim).map((v) => Number(v.toPrecision(6))),
      ...(x.distinct ? { distinct: { selected: x.distinct.selected, selectedNames: names(x.distinct.selected), testMetric: x.distinct.testMetric } } : {}),
      ...(x.retrained ? { retrained: x.retrained } : {}),
    }));
    for (const [i, x] of outcome.seeds.entries()) {
      writeJsonAtomic(path.join(outDir, `selection-${x.seed}.json`), {
        seed: x.seed,
        indices: x.argmax.selected,
        names: seeds[i].selectedNames,
        shape: [cfg.k, data.inputDim],
        probabilities: Array.from(x.probabilities, (v) => Number(v.toPrecision(6))),
      });
      // best-validation parameters: float32 little-endian values, described by the JSON index
      const params = trainer.replicaParameters(x.replica, { best: true });
      let offset = 0;
      const index = params.map((p) => {
        const e = { name: p.name, shape: p.shape, offset, length: p.values.length };
        offset += p.values.length;
        return e;
      });
      const bin = new Float32Array(offset);
      params.forEach((p, j) => bin.set(p.values, index[j].offset));
      const binBytes = new Uint8Array(bin.buffer);
      writeAtomic(path.join(outDir, `parameters-${x.seed}.bin`), binBytes);
      writeJsonAtomic(path.join(outDir, `parameters-${x.seed}.json`), {
        dtype: 'float32',
        byteOrder: 'little-endian',
        file: `parameters-${x.seed}.bin`,
        sha256: createHash('sha256').update(binBytes).digest('hex'),
        note: 'weights are stored transposed ([in, out]) as the trainer uses them',
        tensors: index,
      });
    }
    writeFeatureMeans(outDir, data);
    const retrained: Summary['retrained'] = seeds.length && seeds.every((x) => x.retrained)
      ? { ...meanStd(seeds.map((x) => x.retrained!.testMetric * taskMetric(cfg.task).scale)), epochs: cfg.retrainEpochs ?? DEFAULT_RETRAIN_EPOCHS }
      : undefined;
    const summary = summarize({ ...cfg, settings: runSettings(cfg), ...clock.summary() }, seeds, data.featureNames);
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
