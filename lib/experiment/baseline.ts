// A run of a baseline (STG or LassoNet) with the paper's protocol: choose λ for K features per
// seed, then retrain a fresh MLP on them and test it. Same run directory as the other methods
// (config.json, manifest.json, selection-<seed>.json, summary.md, summary.json last); search.json
// keeps the STG search's finished rounds, so a killed run resumes at the round it was in; path.json
// and lassonet-state-*.bin keep LassoNet's path (every 30 s and when cancelled).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../config/experiment.js';
import type { PreparedDataset } from '../data/dataset.js';
import { capabilities, preload } from '../train/trainer.js';
import { readFileParts, sha256Parts } from '../files/bytes.js';
import { packageVersion } from '../files/package-root.js';
import { writeAtomic, writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError } from '../errors.js';
import { lassonetSettingsSchema, nativeBaselineOptions, stgSettingsSchema, type NativeBaselineOptions } from '../baselines/options.js';
import { retrainNative, toNativeSplits } from '../baselines/native.js';
import { stgSearch, type StgSearchState, type StgSeedResult } from '../baselines/stg.js';
import { lassonetPath, type LassoNetCheckpoint, type LassoNetSeedResult } from '../baselines/lassonet.js';
import { populationVariance } from '../stats/stats.js';
import { writeFeatureMeans } from './feature-means.js';
import { openRunDirectory, type RunHooks } from './run-directory.js';
import { RunClock, type SittingsRecord } from './sittings.js';
import { summarize, summaryMarkdown, type SeedSummary, type Summary } from './summary.js';
import { outputWidth } from '../task.js';

export const DEFAULT_RETRAIN_EPOCHS = 100;

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
  if (cfg.device.startsWith('cuda'))
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `device: the ${method} baseline runs on the CPU only; expected 'cpu' or 'auto' but received '${cfg.device}'`);
  const hidden = cfg.decoder.hidden;
  if (hidden.length !== 1)
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `decoder.hidden: the ${method} baseline has one hidden layer (the paper's 200); expected one width but received [${hidden.join(', ')}]`);
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
    let chosen: { seed: number; selected: number[]; detail: Record<string, unknown> }[];
    const warnings: string[] = [];
    if (method === 'stg') {
      const results: StgSeedResult[] = await stgSearch(
        {
          k: cfg.k,
          epochs: cfg.epochs,
          settings: stg,
          base: { ...base, sigma: stg.sigma, weightDecay: stg.weightDecay },
          seeds: cfg.seeds,
          state: saved?.state,
          signal: hooks.signal,
          onRound: (state, info) => {
            writeJsonAtomic(searchFile, { state, ...clock.record() });
            const atK = cfg.seeds.filter((seed) => state.tries[String(seed)].some((t) => t.open === cfg.k)).length;
            hooks.onStage?.(
              `STG λ search round ${info.round} (${info.seconds.toFixed(1)} s): open gates ${info.trained.map((t) => `${t.seed}:${t.open}`).join(' ')} (seed:count; K = ${cfg.k}; ${atK} of ${cfg.seeds.length} seeds at K)`,
            );
          },
        },
        splits,
      );
      // Not one gate closed at any λ: the training cannot move μ to −0.5 (too few steps × lr), and
      // the K largest μ are barely better than chance. Said, not left to the summary table alone.
      const neverClosed = results.filter((r) => r.tries.every((t) => t.open === data.inputDim)).map((r) => r.seed);
      if (neverClosed.length)
        hooks.onWarning?.(
          `STG: for seed(s) ${neverClosed.join(', ')} no gate closed at any λ tried (up to ${Math.max(...results.flatMap((r) => r.tries.map((t) => t.lambda))).toPrecision(2)}): ${cfg.epochs} epochs at lr ${cfg.lr} cannot move μ below −0.5; the K largest μ were taken. Train longer (--epochs) or with a larger --lr.`,
        );
      chosen = results.map((r) => ({
        seed: r.seed,
        selected: r.selected,
        detail: { lambda: r.lambda, count: r.open, exact: r.exact, tries: r.tries.map((t) => ({ lambda: t.lambda, open: t.open, valLoss: t.valLoss })) },
      }));
    } else {
      const { fullPath, lambdaStart, ...settings } = lassonet;
      manifest.resumedFromEpoch = resume?.epochs ?? 0;
      writeJsonAtomic(opened.manifestFile, manifest);
      const results: LassoNetSeedResult[] = await lassonetPath(
        {
          k: cfg.k,
          base: { ...base, ...settings, lambdaStart: lambdaStart === 'auto' ? 0 : lambdaStart },
          seeds: cfg.seeds,
          fullPath,
          signal: hooks.signal,
          resume,
          onCheckpoint: (c) => writePathCheckpoint(outDir, c, clock.record()),
          onProgress: ({ epochs, counts }) => {
            if (Date.now() - lastStage < 10_000) return;
            lastStage = Date.now();
            hooks.onStage?.(`LassoNet path, epoch ${epochs}: features left per seed ${counts.join(', ')}`);
          },
        },
        splits,
      );
      chosen = results.map((r) => ({
        seed: r.seed,
        selected: r.selected,
        detail: {
          lambda: r.lambda,
          count: r.count,
          exact: r.exact,
          denseValLoss: r.denseValLoss,
          denseEpochs: r.denseEpochs,
          pathPoints: r.path.length,
          ...(r.startTooLarge ? { startTooLarge: r.startTooLarge } : {}),
          path: r.path,
        },
      }));
      // lassonet's own warning, kept with the result (summary.md, summary.json) and said when the run ends
      const flagged = results.filter((r) => r.startTooLarge);
      if (flagged.length) {
        const f = (v: number) => v.toPrecision(3);
        const starts = [...new Set(flagged.map((r) => f(r.startTooLarge!.start)))].join(', ');
        warnings.push(
          `LassoNet: the path's start λ ${starts} (${lambdaStart === 'auto' ? "lassonet's automatic start" : 'lassonet.lambdaStart'}) might be too large, as lassonet itself warns: the first feature left at λ ${flagged.map((r) => `${f(r.startTooLarge!.firstDrop)} (seed ${r.seed})`).join(', ')}, less than twice the start, for ${flagged.length} of ${results.length} seed(s). A smaller lassonet.lambdaStart walks a longer path.`,
        );
      }
    }
    const re = await retrainNative(base, splits, chosen.map((c) => c.selected), retrainEpochs);
    const variance = cfg.task === 'regression' ? populationVariance(data.test.y) : 0;
    const names = (sel: number[]) => sel.map((f) => data.featureNames[f] ?? String(f));
    const seeds: SeedSummary[] = chosen.map((c, i) => ({
      seed: c.seed,
      bestEpoch: re.bestEpoch[i],
      testLoss: re.testLoss[i],
      testMetric: re.testMetric[i],
      uniquePct: 100,
      selected: c.selected,
      selectedNames: names(c.selected),
      duplicates: 0,
      ...(variance > 0 ? { r2: 1 - re.testMetric[i] / variance } : {}),
      baseline: { lambda: c.detail.lambda as number, count: c.detail.count as number, exact: c.detail.exact as boolean },
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
