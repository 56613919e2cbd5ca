// The result of one dataset · task · method over a group of seeds: built in one place, whether
// the seeds were trained as one replica group (a run) or as Slurm array tasks (merged after).
import { meanStd, stability, type Stability } from '../stats/stats.js';
import { featureScores, type FeatureScore } from '../stats/scores.js';
import { IpcaeError } from '../errors.js';
import { sittingsLine, type SittingsSummary } from './sittings.js';
import { formatMetric, metricByKey, taskMetric, type MetricKey } from '../task.js';
import { divergedList } from '../fit/selector.js';

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
  /** Regression: 1 − MSE / variance of the test targets. */
  r2?: number;
  /** Σ_k softmax(L_k)_d per input feature (6 significant digits): the seed's share of the scores. */
  mass?: number[];
  /** When argmax picked a feature twice: K distinct features by assignment, and the decoder's test metric on them. */
  distinct?: { selected: number[]; selectedNames: string[]; testMetric: number };
  /** STG / LassoNet: the λ used and the feature count it gave (exact: K). */
  baseline?: { lambda: number; count: number; exact: boolean };
  /** The retrain evaluation (option `retrain` of the selector methods): a fresh MLP on this seed's selection. */
  retrained?: { testMetric: number; testLoss: number; bestEpoch: number };
}

/** The settings a result depends on, stated above its table (summary.md). */
export interface RunSettings {
  k: number;
  epochs: number;
  batchSize: number;
  lr: number;
  temperature: { start: number; end: number };
  hidden: number[];
  dropout: number;
  /** 0: P = D (the paper's). */
  p: number;
  /** Only for the *-gjsd methods. */
  gjsdLambda?: number;
  noise: string;
  shuffle: boolean;
  /** Why P or the noise differ from the paper's (a wide table's defaults). */
  defaultsNote?: string;
}

export function runSettings(cfg: Omit<RunSettings, 'hidden' | 'dropout'> & { method: string; decoder: { hidden: number[]; dropout: number } }): RunSettings {
  return {
    k: cfg.k,
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    lr: cfg.lr,
    temperature: cfg.temperature,
    hidden: cfg.decoder.hidden,
    dropout: cfg.decoder.dropout,
    p: cfg.p,
    ...(cfg.method.endsWith('-gjsd') ? { gjsdLambda: cfg.gjsdLambda } : {}),
    noise: cfg.noise,
    shuffle: cfg.shuffle,
    ...(cfg.defaultsNote ? { defaultsNote: cfg.defaultsNote } : {}),
  };
}

export function settingsLine(s: RunSettings, method: string): string {
  return [
    `K = ${s.k}`,
    `${s.epochs} epochs`,
    `batch ${s.batchSize}`,
    `Adam lr ${s.lr}`,
    `temperature ${s.temperature.start} → ${s.temperature.end}`,
    `decoder ${s.hidden.length ? `hidden ${s.hidden.join('-')}` : 'linear'}${s.dropout ? `, dropout ${s.dropout}` : ''}`,
    ...(method.startsWith('ip-') ? [`P = ${s.p || 'D'}`] : []),
    ...(s.gjsdLambda !== undefined ? [`GJSD λ = ${s.gjsdLambda}`] : []),
    `noise ${s.noise}`,
    s.shuffle ? 'shuffled each epoch' : 'not shuffled',
  ].join(' · ') + (s.defaultsNote ? ` — ${s.defaultsNote}` : '');
}

export interface Summary {
  dataset: string;
  task: string;
  method: string;
  /** The settings of the run (absent in summaries written before they were recorded). */
  settings?: RunSettings;
  metric: MetricKey;
  seeds: SeedSummary[];
  mean: number;
  std: number;
  meanUniquePct: number;
  /** Seconds of the run over all its sittings (a resumed run adds those before its last sitting). */
  secondsTotal: number;
  /** A resumed run: how many sittings, and the seconds before the last one. */
  sittings?: SittingsSummary;
  stability: Stability;
  /** Regression: R² over the seeds. */
  r2?: { mean: number; std: number };
  /** When some seed has duplicates: mean ± std with each such seed's distinct selection (100 % unique). */
  distinct?: { mean: number; std: number; seedsChanged: number };
  /** Every input feature's score and selection frequency, best first (when every seed has its mass). */
  scores?: FeatureScore[];
  /** Seeds whose loss became non-finite (only present when there are any): they are not in `seeds`. */
  diverged?: { seed: number; epoch: number }[];
  /** The baselines: the test metric is that of an MLP retrained on the selection (the paper's protocol for them). */
  evaluation?: { retrained: true; epochs: number; hidden: number };
  /** The baselines' settings (stated above summary.md's table, as `settings` for the selector methods). */
  baselineSettings?: Record<string, number | string | boolean>;
  /** What the run warned about, kept with its result (e.g. lassonet's "lambda_start might be too large"). */
  warnings?: string[];
  /** Option `retrain` of the selector methods: the same seeds with a retrained MLP, reported beside the faithful result. */
  retrained?: { mean: number; std: number; epochs: number };
}

/** ERR_DIVERGED naming the seeds that diverged, or undefined when none did. */
export function divergedError(s: Summary, where: string): IpcaeError | undefined {
  if (!s.diverged?.length) return undefined;
  const list = divergedList(s.diverged);
  return new IpcaeError(
    'ERR_DIVERGED',
    `training diverged (non-finite loss) for ${list}: ${s.seeds.length ? `those seeds have no result; the results of the ${s.seeds.length} other seed(s) are in ${where}` : `no seed has a result (${where})`}. Try a smaller learning rate.`,
  );
}

/** Mean ± std over the seeds (accuracy in %), mean unique percentage and selection stability. */
export function summarize(
  run: { dataset: string; task: string; method: string; k: number; secondsTotal: number; sittings?: SittingsSummary; settings?: RunSettings },
  seeds: SeedSummary[],
  featureNames: string[],
): Summary {
  const { key: metric, scale } = taskMetric(run.task);
  const ms = meanStd(seeds.map((s) => s.testMetric * scale));
  return {
    dataset: run.dataset,
    task: run.task,
    method: run.method,
    ...(run.settings ? { settings: run.settings } : {}),
    metric,
    seeds,
    mean: ms.mean,
    std: ms.std,
    meanUniquePct: meanStd(seeds.map((s) => s.uniquePct)).mean,
    secondsTotal: run.secondsTotal,
    ...(run.sittings ? { sittings: run.sittings } : {}),
    stability: stability(seeds.map((s) => s.selected), featureNames, run.k),
    ...(seeds.length && seeds.every((s) => s.r2 !== undefined) ? { r2: meanStd(seeds.map((s) => s.r2!)) } : {}),
    ...(seeds.some((s) => s.distinct)
      ? {
          distinct: {
            ...meanStd(seeds.map((s) => (s.distinct?.testMetric ?? s.testMetric) * scale)),
            seedsChanged: seeds.filter((s) => s.distinct).length,
          },
        }
      : {}),
    ...(seeds.length && seeds.every((s) => s.mass?.length === featureNames.length)
      ? { scores: featureScores(seeds.map((s) => ({ mass: s.mass!, selected: s.selected })), featureNames) }
      : {}),
  };
}

/** Whether the summary has a result: some seed did not diverge (a run whose seeds all diverged has none). */
export const hasResult = (s: Pick<Summary, 'seeds' | 'mean'>): boolean => s.seeds.length > 0 && typeof s.mean === 'number' && Number.isFinite(s.mean);

/** What a table shows for a run whose seeds all diverged. */
export const DIVERGED_CELL = 'diverged (no seed has a result)';

export function formatValue(s: Summary): string {
  if (!hasResult(s)) return DIVERGED_CELL;
  const std = typeof s.std === 'number' && Number.isFinite(s.std) ? s.std : NaN;
  return `${formatMetric(s.metric, s.mean)} ± ${formatMetric(s.metric, std)}`;
}

/** The mean unique percentage, or '—' where no seed has a result. */
export const formatUnique = (s: Summary, digits = 0): string =>
  typeof s.meanUniquePct === 'number' && Number.isFinite(s.meanUniquePct) ? s.meanUniquePct.toFixed(digits) : '—';

export function summaryMarkdown(s: Summary): string {
  const lines = [
    `# ${s.dataset} · ${s.task} · ${s.method}`,
    '',
    ...(s.settings ? [settingsLine(s.settings, s.method), ''] : []),
    ...(s.baselineSettings ? [Object.entries(s.baselineSettings).map(([k, v]) => `${k} ${v}`).join(' · '), ''] : []),
    `| method | ${metricByKey(s.metric).test}${s.metric === 'accuracy' ? ' (%)' : ''} | unique % | seeds |`,
    '|---|---|---|---|',
    `| ${s.method} | ${formatValue(s)} | ${formatUnique(s, 1)} | ${s.seeds.length} |`,
    '',
    s.evaluation
      ? `mean ± sample standard deviation over seeds; the test metric of a fresh MLP (one hidden layer of ${s.evaluation.hidden}, ReLU) trained ${s.evaluation.epochs} epochs on each seed's K features, at its best-validation epoch (the paper's protocol for the baselines).`
      : 'mean ± sample standard deviation over seeds; test with the best-validation parameters of each seed.',
    '',
    ...(s.retrained
      ? [`Retrained (option retrain: a fresh MLP, one hidden layer of 200, ReLU, ${s.retrained.epochs} epochs on each seed's selection; not the paper's protocol for this method): ${formatValue({ ...s, mean: s.retrained.mean, std: s.retrained.std })}`, '']
      : []),
    ...(s.seeds.some((x) => x.baseline)
      ? [
          '| seed | λ | features at λ | exactly K |',
          '|---|---|---|---|',
          ...s.seeds.map((x) => `| ${x.seed} | ${x.baseline ? x.baseline.lambda.toPrecision(4) : ''} | ${x.baseline?.count ?? ''} | ${x.baseline ? (x.baseline.exact ? 'yes' : 'no (top K taken)') : ''} |`),
          '',
        ]
      : []),
    `| seed | ${s.evaluation ? 'best epoch of the retrained MLP' : 'best epoch'} (from 1) | test metric | unique % | duplicates |`,
    '|---|---|---|---|---|',
    ...s.seeds.map(
      (x) =>
        `| ${x.seed} | ${x.bestEpoch + 1} | ${s.metric === 'accuracy' ? (x.testMetric * 100).toFixed(2) : x.testMetric.toExponential(3)} | ${x.uniquePct.toFixed(0)} | ${x.duplicates} |`,
    ),
    '',
    `Selection stability: mean pairwise Jaccard ${s.stability.meanPairwiseJaccard.toFixed(3)}; consensus: ${s.stability.consensus.join(', ')}`,
    '',
    ...(s.r2 ? [`R² on the test split: ${s.r2.mean.toFixed(4)} ± ${s.r2.std.toFixed(4)}`, ''] : []),
    ...(s.distinct
      ? [
          `Distinct selections (K different features by assignment where argmax repeated one; ${s.distinct.seedsChanged} seed(s) changed; decoder not retrained): ${formatValue({ ...s, mean: s.distinct.mean, std: s.distinct.std })}`,
          '',
        ]
      : []),
    ...(s.scores
      ? [
          `Ranking (the first ${Math.min(s.scores.length, 2 * s.seeds[0].selected.length)} of ${s.scores.length}): score = mean over seeds of Σ_k softmax(L_k)_d (the scores sum to K); frequency = share of seeds that selected the feature.`,
          '',
          '| rank | feature | score | frequency |',
          '|---|---|---|---|',
          ...s.scores.slice(0, 2 * s.seeds[0].selected.length).map((f, i) => `| ${i + 1} | ${f.feature} | ${f.score.toFixed(4)} | ${f.frequency.toFixed(2)} |`),
          '',
        ]
      : []),
    ...(s.warnings?.length ? [...s.warnings.map((w) => `**Warning**: ${w}`), ''] : []),
    ...(s.sittings ? [sittingsLine(s.secondsTotal, s.sittings), ''] : []),
    ...(s.diverged?.length
      ? [`**Diverged** (non-finite loss; no result): ${divergedList(s.diverged)}`, '']
      : []),
  ];
  return lines.join('\n');
}
