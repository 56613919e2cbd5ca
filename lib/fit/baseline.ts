// The one fit of a baseline (STG, LassoNet) behind both front doors, by the paper's protocol: per
// seed the λ that leaves K features (STG: the λ search; LassoNet: the path point), then a fresh
// one-hidden-layer MLP retrained on them, whose test metric is the seed's result. ipcae-run adds
// its resume state and progress through the hooks; the library passes none.
import { IpcaeError } from '../errors.js';
import type { NativeBaselineOptions, StgSettings, LassoNetSettings } from '../baselines/options.js';
import { retrainNative, type BaselineSplits } from '../baselines/native.js';
import { stgSearch, type StgSearchOptions } from '../baselines/stg.js';
import { lassonetPath, type LassoNetRunOptions } from '../baselines/lassonet.js';
import type { BaselineMethod } from '../train/methods.js';
import { populationVariance } from '../stats/stats.js';
import type { Task } from '../task.js';

/**
 * What a baseline cannot do, refused before anything runs: a CUDA device (its native code is CPU
 * only) and more than one hidden layer. `names`: the options as the caller spells them.
 */
export function checkBaselineOptions(method: BaselineMethod, o: { device: string; hidden: number[] }, names: { device: string; hidden: string }): void {
  if (o.device.startsWith('cuda'))
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${names.device}: the ${method} baseline runs on the CPU only; expected 'cpu' or 'auto' but received '${o.device}'`);
  if (o.hidden.length !== 1)
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${names.hidden}: the ${method} baseline has one hidden layer (the paper's 200); expected one width but received [${o.hidden.join(', ')}]`);
}

export interface BaselineFit {
  method: BaselineMethod;
  task: Task;
  k: number;
  /** STG: epochs per λ tried. */
  epochs: number;
  seeds: number[];
  /** The addon's options (one hidden layer): the search's networks and the retrained MLP. */
  base: NativeBaselineOptions;
  stg: StgSettings;
  lassonet: LassoNetSettings;
  retrainEpochs: number;
  yTest?: ArrayLike<number>;
}

/** ipcae-run's resume state and progress (the library passes none). */
export interface BaselineHooks {
  signal?: AbortSignal;
  stg?: Pick<StgSearchOptions, 'state' | 'onRound'>;
  lassonet?: Pick<LassoNetRunOptions, 'resume' | 'onCheckpoint' | 'onProgress'>;
}

export interface BaselineOutcome {
  seed: number;
  selected: number[];
  lambda: number;
  /** The features left at that λ, and whether that was exactly K. */
  count: number;
  exact: boolean;
  /** LassoNet: its own warning that the path's start λ may be too large. */
  startTooLarge?: { start: number; firstDrop: number };
  /** What the method's search or path recorded (kept in the run's selection file). */
  detail: Record<string, unknown>;
  retrained: { bestEpoch: number; bestValLoss: number; testMetric: number; testLoss: number };
  /** Regression: 1 − MSE / the variance of the test targets. */
  r2?: number;
}

export interface BaselineOutcomes {
  seeds: BaselineOutcome[];
  /** Kept with the result (LassoNet's start-λ warning). */
  warnings: string[];
  /** Said when they happen, not kept (STG: no gate ever closed for some seed). */
  notices: string[];
}

export async function fitBaseline(f: BaselineFit, splits: BaselineSplits, hooks: BaselineHooks = {}): Promise<BaselineOutcomes> {
  const warnings: string[] = [];
  const notices: string[] = [];
  let chosen: Omit<BaselineOutcome, 'retrained' | 'r2'>[];
  if (f.method === 'stg') {
    const results = await stgSearch(
      { k: f.k, epochs: f.epochs, settings: f.stg, base: { ...f.base, sigma: f.stg.sigma, weightDecay: f.stg.weightDecay }, seeds: f.seeds, signal: hooks.signal, ...hooks.stg },
      splits,
    );
    // Not one gate closed at any λ: the training cannot move μ to −0.5 (too few steps × lr), and
    // the K largest μ are barely better than chance. Said, not left to the summary table alone.
    const neverClosed = results.filter((r) => r.tries.every((t) => t.open === f.base.inputDim)).map((r) => r.seed);
    if (neverClosed.length)
      notices.push(
        `STG: for seed(s) ${neverClosed.join(', ')} no gate closed at any λ tried (up to ${Math.max(...results.flatMap((r) => r.tries.map((t) => t.lambda))).toPrecision(2)}): ${f.epochs} epochs at lr ${f.base.lr} cannot move μ below −0.5; the K largest μ were taken. Train longer (--epochs) or with a larger --lr.`,
      );
    chosen = results.map((r) => ({
      seed: r.seed,
      selected: r.selected,
      lambda: r.lambda,
      count: r.open,
      exact: r.exact,
      detail: { lambda: r.lambda, count: r.open, exact: r.exact, tries: r.tries.map((t) => ({ lambda: t.lambda, open: t.open, valLoss: t.valLoss })) },
    }));
  } else {
    const { fullPath, lambdaStart, ...settings } = f.lassonet;
    const results = await lassonetPath(
      { k: f.k, base: { ...f.base, ...settings, lambdaStart: lambdaStart === 'auto' ? 0 : lambdaStart }, seeds: f.seeds, fullPath, signal: hooks.signal, ...hooks.lassonet },
      splits,
    );
    chosen = results.map((r) => ({
      seed: r.seed,
      selected: r.selected,
      lambda: r.lambda,
      count: r.count,
      exact: r.exact,
      ...(r.startTooLarge ? { startTooLarge: r.startTooLarge } : {}),
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
    // lassonet's own warning, kept with the result
    const flagged = results.filter((r) => r.startTooLarge);
    if (flagged.length) {
      const p = (v: number) => v.toPrecision(3);
      const starts = [...new Set(flagged.map((r) => p(r.startTooLarge!.start)))].join(', ');
      warnings.push(
        `LassoNet: the path's start λ ${starts} (${lambdaStart === 'auto' ? "lassonet's automatic start" : 'lassonet.lambdaStart'}) might be too large, as lassonet itself warns: the first feature left at λ ${flagged.map((r) => `${p(r.startTooLarge!.firstDrop)} (seed ${r.seed})`).join(', ')}, less than twice the start, for ${flagged.length} of ${results.length} seed(s). A smaller lassonet.lambdaStart walks a longer path.`,
      );
    }
  }
  const re = await retrainNative(f.base, splits, chosen.map((c) => c.selected), f.retrainEpochs);
  const variance = f.task === 'regression' && f.yTest ? populationVariance(f.yTest) : 0;
  const seeds = chosen.map((c, i) => ({
    ...c,
    retrained: { bestEpoch: re.bestEpoch[i], bestValLoss: re.bestValLoss[i], testMetric: re.testMetric[i], testLoss: re.testLoss[i] },
    ...(variance > 0 ? { r2: 1 - re.testMetric[i] / variance } : {}),
  }));
  return { seeds, warnings, notices };
}
