// A run of a baseline (STG or LassoNet) with the paper's protocol: choose λ for K features per
// seed, then retrain a fresh MLP on them and test it. Same run directory as the other methods
// (config.json, manifest.json, selection-<seed>.json, summary.md, summary.json last); search.json
// keeps the STG search's finished rounds, so a killed run resumes at the round it was in; path.json
// and lassonet-state-*.bin keep LassoNet's path (every 30 s and when cancelled).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../config/experiment.js';
import type { PreparedDataset } from '../datasets/dataset.js';
import { capabilities, preload } from '../train/trainer.js';
import { readFileParts, sha256Parts } from '../files/bytes.js';
import { packageVersion } from '../files/package-root.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError } from '../errors.js';
import { DEFAULT_RETRAIN_EPOCHS, lassonetSettingsSchema, nativeBaselineOptions, stgSettingsSchema, type NativeBaselineOptions } from '../baselines/options.js';
import { toNativeSplits } from '../baselines/native.js';
import type { StgSearchState } from '../baselines/stg.js';
import type { LassoNetCheckpoint } from '../baselines/lassonet.js';
import { checkBaselineOptions, fitBaseline } from '../fit/baseline.js';
import { writeFeatureMeans } from './feature-means.js';
import { openRunDirectory, type RunHooks } from './run-directory.js';
import { RunClock, type SittingsRecord } from './sittings.js';
import { summarize, summaryMarkdown, type SeedSummary, type Summary } from './summary.js';
import { outputWidth } from '../task.js';


/** The addon's options for a run's retrained MLP (one hidden layer of 200, the run's batch and lr). */
export function retrainOptions(cfg: ExperimentConfig, data: PreparedDataset): NativeBaselineOptions {
  return nativeBaselineOptions({
    task: cfg.task,
    inputDim: data.inputDim,
    outputDim: outputWidth(cfg.task, data.classes),
    seeds: cfg.seeds,
    hidden: 200,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    threads: cfg.threads,
  });
}

export async function runBaseline(cfg: ExperimentConfig, data: PreparedDataset, outDir: string, hooks: RunHooks = {}): Promise<Summary> {
  const started = new Date();
  const method = cfg.method as 'stg' | 'lassonet';
  const stg = stgSettingsSchema.parse(cfg.stg ?? {});
  const lassonet = lassonetSettingsSchema.parse(cfg.lassonet ?? {});
  const retrainEpochs = cfg.retrainEpochs ?? DEFAULT_RETRAIN_EPOCHS;
  const resolved = { experiment: cfg, baseline: method === 'stg' ? { stg } : { lassonet }, retrainEpochs };
  await preload();
  const splits = toNativeSplits(data, cfg.task);
  // The baselines' native code runs on the CPU only: a CUDA device is refused, never ignored.
  checkBaselineOptions(method, { device: cfg.device, hidden: cfg.decoder.hidden }, { device: 'device', hidden: 'decoder.hidden' });
  const hidden = cfg.decoder.hidden;
  // K features out of D: more than D would "select" every feature and report K (nothing is written first)
  if (cfg.k > data.inputDim)
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `k: expected at most ${data.inputDim} (the features of ${data.name}) but received ${cfg.k}`);
  const base = { ...retrainOptions(cfg, data), hidden: hidden[0] };
  const opened = await openRunDirectory(outDir, resolved, data, hooks);
  try {
    if (opened.finished) return opened.finished;
    writeJsonAtomic(opened.configFile, resolved);
    const c = capabilities();
    const searchFile = path.join(outDir, 'search.json');
    const saved = method === 'stg' && existsSync(searchFile) ? (JSON.parse(readFileSync(searchFile, 'utf8')) as { state: StgSearchState } & SittingsRecord) : undefined;
    const resume = method === 'lassonet' ? readPathCheckpoint(outDir) : undefined;
    const manifest: Record<string, unknown> = {
      ipcae: packageVersion(),
      torch: c.torchVersion,
      device: 'cpu',
      blas: c.blasLibrary,
      kernels: c.isa,
      seeds: cfg.seeds,
      command: process.argv.join(' '),
      started: started.toISOString(),
      resumedFromRound: saved?.state.rounds ?? 0,
      data: { name: data.name, train: data.indices.train.length, val: data.indices.val.length, test: data.indices.test.length, sources: data.sources },
    };
    writeJsonAtomic(opened.manifestFile, manifest);
    const clock = new RunClock(saved ?? resume);
    let lastStage = 0; // the first progress line comes at once
    if (method === 'lassonet') {
      manifest.resumedFromEpoch = resume?.epochs ?? 0;
      writeJsonAtomic(opened.manifestFile, manifest);
    }
    const fit = await fitBaseline(
      { method, task: cfg.task, k: cfg.k, epochs: cfg.epochs, seeds: cfg.seeds, base, stg, lassonet, retrainEpochs, yTest: data.test.y },
      splits,
      {
        signal: hooks.signal,
        stg: {
          state: saved?.state,
          onRound: (state, info) => {
            writeJsonAtomic(searchFile, { state, ...clock.record() });
            const atK = cfg.seeds.filter((seed) => state.tries[String(seed)].some((t) => t.open === cfg.k)).length;
            hooks.onStage?.(
              `STG λ search round ${info.round} (${info.seconds.toFixed(1)} s): open gates ${info.trained.map((t) => `${t.seed}:${t.open}`).join(' ')} (seed:count; K = ${cfg.k}; ${atK} of ${cfg.seeds.length} seeds at K)`,
            );
          },
        },
        lassonet: {
          resume,
          onCheckpoint: (c) => writePathCheckpoint(outDir, c, clock.record()),
          onProgress: ({ epochs, counts }) => {
            if (Date.now() - lastStage < 10_000) return;
            lastStage = Date.now();
            hooks.onStage?.(`LassoNet path, epoch ${epochs}: features left per seed ${counts.join(', ')}`);
          },
        },
      },
    );
    for (const n of fit.notices) hooks.onWarning?.(n);
    const { warnings } = fit;
    const chosen = fit.seeds;
    const names = (sel: number[]) => sel.map((f) => data.featureNames[f] ?? String(f));
    const seeds: SeedSummary[] = chosen.map((c) => ({
      seed: c.seed,
      bestEpoch: c.retrained.bestEpoch,
      testLoss: c.retrained.testLoss,
      testMetric: c.retrained.testMetric,
      uniquePct: 100,
      selected: c.selected,
      selectedNames: names(c.selected),
      duplicates: 0,
      ...(c.r2 !== undefined ? { r2: c.r2 } : {}),
      baseline: { lambda: c.lambda, count: c.count, exact: c.exact },
    }));
    for (const c of chosen)
      writeJsonAtomic(path.join(outDir, `selection-${c.seed}.json`), { seed: c.seed, method, indices: c.selected, names: names(c.selected), ...c.detail });
    writeFeatureMeans(outDir, data);
    const summary = summarize({ ...cfg, ...clock.summary() }, seeds, data.featureNames);
    summary.evaluation = { retrained: true, epochs: retrainEpochs, hidden: base.hidden };
    if (warnings.length) summary.warnings = warnings;
    for (const w of warnings) hooks.onWarning?.(w);
    summary.baselineSettings = {
      K: cfg.k,
      ...(method === 'stg' ? { epochs: cfg.epochs, batch: cfg.batchSize, 'Adam lr': cfg.lr } : { 'dense Adam lr': cfg.lr, batch: lassonet.batchSize || 'full' }),
      hidden: base.hidden,
      ...(method === 'stg' ? { ...stg } : Object.fromEntries(Object.entries(lassonet).filter(([key]) => key !== 'batchSize'))),
      'retrained MLP epochs': retrainEpochs,
    };
    writeAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
    writeJsonAtomic(opened.manifestFile, { ...manifest, finished: new Date().toISOString() });
    writeJsonAtomic(opened.summaryFile, summary);
    return summary;
  } finally {
    await opened.release();
  }
}

// A LassoNet checkpoint: path.json (the tracks and the replica groups) names one native state file
// per group of its generation; path.json is written last, so a kill at any moment leaves the
// previous generation readable. Older generations are removed after.
const PATH_FILE = 'path.json';

function writePathCheckpoint(outDir: string, c: LassoNetCheckpoint, time: SittingsRecord): void {
  const prev = existsSync(path.join(outDir, PATH_FILE)) ? (JSON.parse(readFileSync(path.join(outDir, PATH_FILE), 'utf8')) as { generation: number }).generation : 0;
  const generation = prev + 1;
  const files = c.states.map((_, i) => `lassonet-state-${generation}-${i}.bin`);
  c.states.forEach((b, i) => writeAtomic(path.join(outDir, files[i]), b));
  const sha256 = c.states.map((b) => sha256Parts(b));
  writeJsonAtomic(path.join(outDir, PATH_FILE), { generation, epochs: c.epochs, parts: c.parts, files, sha256, tracks: c.tracks, ...time });
  for (const f of readdirSync(outDir)) {
    const m = /^lassonet-state-(\d+)-\d+\.bin$/.exec(f);
    if (m && Number(m[1]) !== generation) rmSync(path.join(outDir, f), { force: true });
  }
}

function readPathCheckpoint(outDir: string): (LassoNetCheckpoint & SittingsRecord) | undefined {
  const file = path.join(outDir, PATH_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { epochs: number; parts: number[][]; files: string[]; sha256?: string[]; tracks: LassoNetCheckpoint['tracks'] } & SittingsRecord;
    const states = j.files.map((f, i) => {
      const parts = readFileParts(path.join(outDir, f));
      // path.json written before the states had checksums has none: the native fingerprint check remains
      if (j.sha256 && sha256Parts(parts) !== j.sha256[i]) throw new Error(`${f} is damaged (its sha256 differs from the one path.json recorded)`);
      return parts;
    });
    return { epochs: j.epochs, parts: j.parts, tracks: j.tracks, states, seconds: j.seconds, sittings: j.sittings };
  } catch (e) {
    throw new IpcaeError('ERR_DATA', `${file} or a state file it names is not readable (${(e as Error).message}); --restart to walk the path again`);
  }
}
