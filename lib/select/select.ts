// The pipeline API: fit on an Arrow table, get the K selected columns by name, transform new
// tables, save and load the fitted selector (in the spirit of scikit-learn's fit / transform / get_support).
import { readFileSync } from 'node:fs';
import { Table, Vector, makeVector } from 'apache-arrow';
import { columnPolicy, numericColumn, tableFromColumns } from '../tables/columns.js';
import { Trainer, preload } from '../train/trainer.js';
import { trainerOptionsSchema } from '../train/options.js';
import { availableMemory, estimateMemory, memoryBudgetError, replicasThatFit } from '../train/memory-model.js';
import { widthDefaults } from '../train/wide-defaults.js';
import { isBaselineMethod, methodOptions, type AnyMethod, type BaselineMethod, type Method } from '../train/methods.js';
import { lassonetSettingsSchema, nativeBaselineOptions, stgSettingsSchema } from '../baselines/options.js';
import { toNativeSplits } from '../baselines/native.js';
import { checkBaselineOptions, fitBaseline } from '../fit/baseline.js';
import { meanStd, populationVariance, stability, type Stability } from '../stats/stats.js';
import { featureScores, selectionMass, type FeatureScore } from '../stats/scores.js';
import { selectorOutcomes, trainSelector, divergedList } from '../fit/selector.js';
import { SUGGESTION_RULE, suggestK } from '../stats/sweep.js';
import { writeJsonAtomic } from '../files/atomic.js';
import { IpcaeError, invalidArgument } from '../errors.js';
import { parseOrThrow } from '../validate.js';
import { selectOptionsSchema, selectionFileSchema, type SelectOptions } from './options.js';
import type { IgnoredColumn, OneHotEncoding, Task } from '../tables/table.js';
import { readTableSync, type TableInput } from '../tables/read.js';
import { readAndPrepare } from '../tables/read-async.js';
import { textColumn } from '../tables/columns.js';
import { outputWidth, taskMetric } from '../task.js';

export type { SelectOptions } from './options.js';

export interface SeedSelection {
  seed: number;
  features: string[];
  indices: number[];
  bestEpoch: number;
  bestValLoss: number;
  testMetric: number;
  /** Regression: 1 − MSE / variance of the test targets. */
  r2?: number;
  /**
   * With distinct selections, when argmax gave this seed a feature twice: the faithful (argmax)
   * selection and its results. The seed's features, indices, validation loss and metric are then
   * those of the distinct selection.
   */
  faithful?: { features: string[]; indices: number[]; bestValLoss: number; testMetric: number };
  /** stg / lassonet: the λ chosen, the features it kept, and whether that was exactly K. */
  /** STG / LassoNet: the λ used, the feature count there, whether it was exactly K; startTooLarge: lassonet's warning (lassonet.ts). */
  baseline?: { lambda: number; count: number; exact: boolean; startTooLarge?: { start: number; firstDrop: number } };
}

export interface FeatureSelectionData {
  format: 'ipcae-selection-v1';
  task: Task;
  k: number;
  method: AnyMethod;
  inputFeatures: string[];
  features: string[];
  indices: number[];
  classes?: string[];
  /** faithful: the mean ± std with the argmax selections, when distinct selections changed some seed. */
  metric: { name: string; mean: number; std: number; r2?: { mean: number; std: number }; faithful?: { mean: number; std: number } };
  perSeed: SeedSelection[];
  stability: Stability;
  scaling: { kind: string; offset: number[]; scale: number[] };
  /** Columns of the input that were not features, with why (absent in files saved before 0.2). */
  ignored?: IgnoredColumn[];
  /** Text columns one-hot encoded into features 'column=value'. */
  encodings?: OneHotEncoding[];
  /** Every input feature's score and selection frequency, best first (README: scores and ranking). */
  scores?: FeatureScore[];
  /** Decoder-only epochs run on the final selections (finetune), when distinct selections changed a seed. */
  finetuned?: number;
  /** P and the noise when the table's width chose them (not the paper's P = D and per-sample noise): the values and why. */
  widthDefaults?: { p: number; noise: 'per-sample' | 'per-batch'; note: string };
  /**
   * Reconstruction selectors: the chosen seed's decoder (best-validation parameters), so that
   * `reconstruct` can predict all D features from the K selected ones.
   */
  decoder?: { seed: number; hidden: number[]; parameters: { name: string; shape: number[] }[]; values: string };
  /** stg / lassonet: their metrics are those of a fresh MLP (one hidden layer) retrained on each seed's K features. */
  retrained?: { epochs: number; hidden: number };
}

export class FeatureSelection {
  constructor(readonly data: FeatureSelectionData) {}

  /** The selected column names: those of the seed with the lowest best validation loss. */
  get features(): string[] {
    return this.data.features;
  }
  /** Their indices among the input feature columns: K distinct ones by default; with distinct: false, argmax's (duplicates kept, as in CAE). */
  get indices(): number[] {
    return this.data.indices;
  }
  get perSeed(): SeedSelection[] {
    return this.data.perSeed;
  }
  get metric() {
    return this.data.metric;
  }
  get classes(): string[] | undefined {
    return this.data.classes;
  }

  /**
   * Every input feature's score — the mean over seeds of Σ_k softmax(L_k)_d, the expected number of
   * selector nodes picking it (the scores sum to K) — and the share of seeds that selected it; best first.
   */
  get scores(): FeatureScore[] {
    return this.data.scores ?? [];
  }
  /** The input features ordered by score (then frequency, then column order). */
  get ranking(): string[] {
    return this.scores.map((s) => s.feature);
  }
  /** scikit-learn's get_support(): one boolean per input feature, true for the selected ones. */
  getSupport(): boolean[] {
    const chosen = new Set(this.data.indices);
    return this.data.inputFeatures.map((_, j) => chosen.has(j));
  }
  /** scikit-learn's get_feature_names_out(): the selected names, each once, in selection order (transform's columns). */
  getFeatureNamesOut(): string[] {
    return [...new Set(this.data.features)];
  }

  /** Columns of the input that were not used as features, with the reason (README: column types). */
  get ignored(): IgnoredColumn[] {
    return this.data.ignored ?? [];
  }

  /**
   * A table with only the selected columns (each once, in selection order), from any table input
   * (a file is read on this thread: use readTableAsync first for large files). One-hot features
   * ('column=value') are computed from their text column.
   */
  transform(input: TableInput): Table {
    const t = readTableSync(input).table;
    const names = t.schema.fields.map((f) => f.name);
    const unique = [...new Set(this.data.features)];
    const encoded = new Map<string, { column: string; value: string }>();
    for (const e of this.data.encodings ?? []) for (const c of e.categories) encoded.set(`${e.column}=${c}`, { column: e.column, value: c });
    const missing = unique.filter((f) => !names.includes(f) && !(encoded.has(f) && names.includes(encoded.get(f)!.column)));
    if (missing.length)
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the table; it has ${names.map((m) => `'${m}'`).join(', ')}`);
    const cols: Record<string, Vector> = {};
    for (const f of unique) {
      if (names.includes(f)) {
        const v = t.getChildAt(names.indexOf(f))!;
        const policy = columnPolicy(v.type);
        if (policy.kind !== 'numeric')
          throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column '${f}' to hold numbers (as it did when fitted) but it is ${policy.typeName}: ${policy.reason}`);
        // A column of another apache-arrow copy (Arquero, another version) becomes one of ours:
        // float64, nulls as NaN (a Table cannot hold another copy's vectors)
        cols[f] = v instanceof Vector ? v : makeVector(numericColumn(v));
      } else {
        const { column, value } = encoded.get(f)!;
        const text = textColumn(t.getChildAt(names.indexOf(column))!);
        cols[f] = makeVector(Float32Array.from(text, (x) => (x === null ? NaN : x === value ? 1 : 0)));
      }
    }
    return tableFromColumns(cols);
  }

  /**
   * The decoder as an imputer (reconstruction selectors): from a table (any TableInput) holding the
   * selected columns, all D input features by their names — the decoder's reconstruction of every
   * one, the selected ones included, in the original units (the fit's scaling undone).
   */
  async reconstruct(input: TableInput): Promise<Table> {
    const d = this.data;
    if (d.task !== 'reconstruction' || !d.decoder)
      throw new IpcaeError(
        'ERR_INVALID_ARGUMENT',
        d.task !== 'reconstruction'
          ? `reconstruct needs a reconstruction selector (fitted without a target) but this one is for ${d.task}`
          : isBaselineMethod(d.method)
            ? `a ${d.method} selection has no decoder (its retrained MLP is not kept): fit a selector method (ip-cae, cae, …) to reconstruct`
            : 'this saved selection has no decoder (saved before ipcae 0.2): fit it again to reconstruct',
      );
    const t = readTableSync(input).table;
    const names = t.schema.fields.map((f) => f.name);
    const need = [...new Set(d.features)];
    const missing = need.filter((f) => !names.includes(f));
    if (missing.length)
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected the selected column(s) ${missing.map((m) => `'${m}'`).join(', ')} in the table to reconstruct from; it has ${names.map((m) => `'${m}'`).join(', ')}`);
    const D = d.inputFeatures.length,
      n = t.numRows;
    const x = new Float32Array(n * D);
    for (const f of need) {
      const v = t.getChildAt(names.indexOf(f))!;
      const p = columnPolicy(v.type);
      if (p.kind !== 'numeric') throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected numbers in column '${f}' to reconstruct from but it is ${p.typeName}`);
      const j = d.inputFeatures.indexOf(f);
      const c = numericColumn(v);
      const bad = c.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected finite values in column '${f}' to reconstruct from but row ${bad} is ${c[bad]}`);
      for (let i = 0; i < n; i++) x[i * D + j] = (c[i] - d.scaling.offset[j]) / d.scaling.scale[j];
    }
    const out = await this.predictScaled(x);
    const cols: Record<string, Vector> = {};
    d.inputFeatures.forEach((f, j) => {
      const col = new Float64Array(n);
      for (let i = 0; i < n; i++) col[i] = out[i * D + j] * d.scaling.scale[j] + d.scaling.offset[j];
      cols[f] = makeVector(col);
    });
    return tableFromColumns(cols);
  }

  /** The saved decoder's outputs (rows × D, scaled units) for scaled rows x (rows × D) on this selection. */
  async predictScaled(x: Float32Array): Promise<Float32Array> {
    const d = this.data;
    const dec = d.decoder!;
    await preload();
    const trainer = new Trainer({ selector: 'cae', task: 'reconstruction', inputDim: d.inputFeatures.length, k: d.k, hidden: dec.hidden, seeds: [dec.seed] });
    try {
      const saved = new Float32Array(Uint8Array.from(Buffer.from(dec.values, 'base64')).buffer);
      const flat = new Float64Array(trainer.getParameters().length);
      let at = 0,
        from = 0;
      const byName = new Map(dec.parameters.map((p) => [p.name, p]));
      const offsets = new Map<string, number>();
      for (const p of dec.parameters) {
        offsets.set(p.name, from);
        from += p.shape.reduce((a, b) => a * b, 1);
      }
      for (const p of trainer.parameterLayout()) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        const s = byName.get(p.name);
        if (p.name.startsWith('decoder.')) {
          if (!s || s.shape.join('x') !== p.shape.join('x'))
            throw new IpcaeError('ERR_INVALID_ARGUMENT', `the saved decoder does not match: parameter '${p.name}' ${s ? `has shape ${s.shape.join('×')}, expected ${p.shape.join('×')}` : 'is missing'}`);
          const o = offsets.get(p.name)!;
          for (let i = 0; i < size; i++) flat[at + i] = saved[o + i];
        }
        at += size;
      }
      trainer.setParameters(flat);
      return (await trainer.predict(x, { best: false, selection: [d.indices] }))[0];
    } finally {
      trainer.dispose();
    }
  }

  toJSON(): FeatureSelectionData {
    return this.data;
  }

  save(file: string): void {
    writeJsonAtomic(file, this.data);
  }

  static load(file: string): FeatureSelection {
    if (typeof file !== 'string') throw invalidArgument('file', 'a path to a saved selection', file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `Cannot read a saved selection from ${file}: ${(e as Error).message}`);
    }
    if ((raw as { format?: unknown })?.format !== 'ipcae-selection-v1')
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: expected an ipcae selection (format ipcae-selection-v1)`);
    try {
      return new FeatureSelection(parseOrThrow(selectionFileSchema, raw) as FeatureSelectionData);
    } catch (e) {
      throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: not a valid saved selection: ${(e as Error).message}`);
    }
  }
}

/**
 * Fits a selector on any table input: a file (Arrow IPC, Parquet, CSV/TSV — by content), bytes,
 * an apache-arrow Table, row objects, or { x, featureNames?, y? } (y becomes the default target).
 * Large files are read and converted on a worker thread; the event loop stays free.
 */
export async function selectFeatures(input: TableInput, options: SelectOptions): Promise<FeatureSelection> {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object with at least k', options);
  const o = parseOrThrow(selectOptionsSchema, options, 'options');
  const { prep, meta } = await readAndPrepareFor(input, o);
  return selectPrepared(prep, meta, o);
}

type ParsedSelectOptions = ReturnType<typeof selectOptionsSchema.parse>;
type Prepared = Awaited<ReturnType<typeof readAndPrepare>>;

/** The table read and turned into matrices once, as the options say (the same for every K of a sweep). */
function readAndPrepareFor(input: TableInput, o: ParsedSelectOptions) {
  const matrixTarget = typeof input === 'object' && input !== null && !Array.isArray(input) && 'x' in input && (input as { y?: unknown }).y !== undefined;
  return readAndPrepare(input, {
    target: o.target ?? (matrixTarget ? 'y' : undefined),
    task: o.task,
    features: o.features,
    exclude: o.exclude,
    split: o.split,
    scaling: o.scaling,
    impute: o.impute,
    categorical: o.categorical,
  }, o.signal);
}

/** selectFeatures on a prepared table: train, pick, evaluate. */
async function selectPrepared(prep: Prepared['prep'], meta: Prepared['meta'], o: ParsedSelectOptions): Promise<FeatureSelection> {
  await preload(); // LibTorch starts off the event loop
  const D = prep.featureNames.length;
  if (o.k > D) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Expected k <= the number of feature columns (${D}) but received ${o.k}`);
  if (isBaselineMethod(o.method)) return selectBaseline(prep, meta, o, o.method);
  const method = o.method as Method;
  const { seeds } = o;
  const nTrain = prep.splits.train.rows.length;
  const preset = methodOptions(method, o.gjsdLambda);
  const outputDim = outputWidth(prep.task, prep.classes?.length ?? 0);
  const batchSize = Math.min(o.batchSize, nTrain); // never more than the training rows
  // P and the noise where the options leave them to the table's width (the paper's up to 2,048 features)
  const width = widthDefaults(D, o.k, { p: o.p, noise: o.noise }, preset.selector !== 'cae' && preset.ipWeights === 'shared');
  // The memory model, before anything is allocated: a fit that cannot fit is refused now.
  const limit = o.memoryLimit ?? availableMemory();
  const estimate = (replicas: number) =>
    estimateMemory({
      inputDim: D,
      rows: { train: nTrain, val: prep.splits.val.rows.length, test: prep.splits.test.rows.length },
      outputDim,
      task: prep.task,
      k: o.k,
      selector: preset.selector ?? 'ip',
      ipWeights: preset.ipWeights,
      p: width.p,
      hidden: o.hidden,
      batchSize,
      replicas,
      noise: width.noise,
    });
  const e = estimate(seeds.length);
  if (e.peakBytes > limit) {
    throw memoryBudgetError(
      e,
      limit,
      { seeds: seeds.length, seedsFit: replicasThatFit(estimate, seeds.length, limit), D, k: o.k, ip: preset.selector !== 'cae', p: width.p, noise: width.noise, where: "options.memoryLimit or the machine's memory" },
      { p: 'options.p', method: 'options.method', noise: 'options.noise', seeds: 'fit the others in another call' },
    );
  }
  const trainer = new Trainer({
    ...preset,
    task: prep.task,
    inputDim: D,
    k: o.k,
    outputDim,
    hidden: o.hidden,
    embeddingDim: width.p,
    noise: width.noise,
    batchSize,
    lr: o.lr,
    seeds,
    device: o.device,
    threads: o.threads,
  });
  try {
    await trainer.setData(prep.splits);
    try {
      await trainSelector(trainer, { epochs: o.epochs, onEpoch: o.onEpoch, signal: o.signal });
    } catch (e) {
      // The caller of selectFeatures never saw a trainer: say what was stopped in its words.
      if (e instanceof IpcaeError && e.code === 'ERR_CANCELLED')
        throw new IpcaeError('ERR_CANCELLED', `selectFeatures was cancelled (signal aborted) after ${trainer.info().epoch} of ${o.epochs} epochs; nothing was selected`, { cause: e });
      throw e;
    }
    // A seed whose loss became non-finite has no selection: it is left out, and the call fails
    // after the others (ERR_DIVERGED, with their selection as error.partial).
    const outcome = await selectorOutcomes(trainer, { distinct: o.distinct ? 'result' : 'off', finetune: o.finetune }, { task: prep.task, yTest: prep.splits.test.y });
    const divergedText = divergedList(outcome.diverged);
    if (outcome.seeds.length === 0)
      throw new IpcaeError('ERR_DIVERGED', `training diverged (non-finite loss) for every seed (${divergedText}); try a smaller lr`);
    const names = (sel: number[]) => sel.map((j) => prep.featureNames[j]);
    const perSeed: SeedSelection[] = outcome.seeds.map((x) => ({
      seed: x.seed,
      features: names(x.result.selected),
      indices: x.result.selected,
      bestEpoch: x.bestEpoch,
      bestValLoss: x.result.bestValLoss,
      testMetric: x.result.testMetric,
      ...(x.r2 !== undefined ? { r2: x.r2 } : {}),
      ...(x.distinct
        ? { faithful: { features: names(x.argmax.selected), indices: x.argmax.selected, bestValLoss: x.argmax.bestValLoss, testMetric: x.argmax.test.metric } }
        : {}),
    }));
    const common = selectionCommon(prep, meta, o, method, perSeed);
    const best = bestSeed(perSeed);
    const selection = new FeatureSelection({
      ...common,
      metric: {
        ...common.metric,
        ...(perSeed.some((p) => p.faithful) ? { faithful: meanStd(perSeed.map((p) => p.faithful?.testMetric ?? p.testMetric)) } : {}),
      },
      ...(prep.task === 'reconstruction' ? { decoder: decoderOf(trainer, outcome.seeds.find((x) => x.seed === best.seed)!.replica, o.hidden) } : {}),
      ...(outcome.finetuned ? { finetuned: outcome.finetuned } : {}),
      ...(width.note ? { widthDefaults: { p: width.p, noise: width.noise, note: width.note } } : {}),
      scores: featureScores(
        outcome.seeds.map((x) => ({ mass: selectionMass(x.probabilities, o.k, D), selected: x.argmax.selected })),
        prep.featureNames,
      ),
    });
    if (outcome.diverged.length) {
      const err = new IpcaeError('ERR_DIVERGED', `training diverged (non-finite loss) for ${divergedText}; the selection of the other seed(s) is error.partial; try a smaller lr`);
      (err as IpcaeError & { partial?: FeatureSelection }).partial = selection;
      throw err;
    }
    return selection;
  } finally {
    trainer.dispose();
  }
}

/** The seed whose selection a FeatureSelection names: the lowest best validation loss. */
const bestSeed = (perSeed: SeedSelection[]) => perSeed.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));

/** What every selection holds: the best seed's features, the metric over seeds, stability, the table's encoding. */
function selectionCommon(prep: Prepared['prep'], meta: Prepared['meta'], o: ParsedSelectOptions, method: AnyMethod, perSeed: SeedSelection[]) {
  const best = bestSeed(perSeed);
  return {
    format: 'ipcae-selection-v1' as const,
    task: prep.task,
    k: o.k,
    method,
    inputFeatures: prep.featureNames,
    features: best.features,
    indices: best.indices,
    classes: prep.classes,
    metric: {
      name: taskMetric(prep.task).key,
      ...meanStd(perSeed.map((p) => p.testMetric)),
      ...(perSeed.some((p) => p.r2 !== undefined) ? { r2: meanStd(perSeed.map((p) => p.r2!)) } : {}),
    },
    perSeed,
    stability: stability(perSeed.map((p) => p.indices), prep.featureNames, o.k),
    scaling: prep.scaling,
    ignored: [...meta.dropped, ...prep.ignored],
    encodings: prep.encodings,
  };
}

/**
 * selectFeatures with STG or LassoNet, by the paper's protocol (as `ipcae-run --method stg|lassonet`,
 * without a run directory): per seed the λ that leaves K features (STG: the λ search; LassoNet: the
 * path point), then a fresh one-hidden-layer MLP retrained on them, whose test metric is reported.
 */
async function selectBaseline(prep: Prepared['prep'], meta: Prepared['meta'], o: ParsedSelectOptions, method: BaselineMethod): Promise<FeatureSelection> {
  checkBaselineOptions(method, o, { device: 'device', hidden: 'hidden' });
  if (o.finetune > 0) throw new IpcaeError('ERR_INVALID_ARGUMENT', `finetune: the ${method} baseline has no decoder to finetune (its metric comes from a retrained MLP); expected 0 but received ${o.finetune}`);
  const D = prep.featureNames.length;
  const { splits: s } = prep;
  const splits = toNativeSplits({ inputDim: D, train: s.train, val: s.val, test: s.test } as Parameters<typeof toNativeSplits>[0], prep.task);
  const base = nativeBaselineOptions({
    task: prep.task,
    inputDim: D,
    outputDim: outputWidth(prep.task, prep.classes?.length ?? 0),
    seeds: o.seeds,
    hidden: o.hidden[0],
    batchSize: Math.min(o.batchSize, s.train.rows.length),
    lr: o.lr,
    threads: o.threads,
  });
  const fit = await fitBaseline(
    {
      method,
      task: prep.task,
      k: o.k,
      epochs: o.epochs,
      seeds: o.seeds,
      base,
      stg: stgSettingsSchema.parse(o.stg ?? {}),
      lassonet: lassonetSettingsSchema.parse(o.lassonet ?? {}),
      retrainEpochs: o.retrainEpochs,
      yTest: s.test.y,
    },
    splits,
    { signal: o.signal },
  );
  const perSeed: SeedSelection[] = fit.seeds.map((c) => ({
    seed: c.seed,
    features: c.selected.map((j) => prep.featureNames[j]),
    indices: c.selected,
    bestEpoch: c.retrained.bestEpoch,
    bestValLoss: c.retrained.bestValLoss,
    testMetric: c.retrained.testMetric,
    ...(c.r2 !== undefined ? { r2: c.r2 } : {}),
    baseline: { lambda: c.lambda, count: c.count, exact: c.exact, ...(c.startTooLarge ? { startTooLarge: c.startTooLarge } : {}) },
  }));
  return new FeatureSelection({
    ...selectionCommon(prep, meta, o, method, perSeed),
    retrained: { epochs: o.retrainEpochs, hidden: o.hidden[0] },
  });
}

/**
 * The scikit-learn shape of the same thing: `new FeatureSelector({ k: 20, target: 'y' })`, then
 * `await fit(X)`, `transform(X)`, `await fitTransform(X)`, `getSupport()`, `getFeatureNamesOut()`.
 */
export class FeatureSelector {
  /** The fitted selection (after fit). */
  selection: FeatureSelection | undefined;
  constructor(readonly options: SelectOptions) {}

  private fitted(): FeatureSelection {
    if (!this.selection) throw new IpcaeError('ERR_INVALID_ARGUMENT', 'This FeatureSelector is not fitted yet: call await selector.fit(table) first');
    return this.selection;
  }
  async fit(input: TableInput): Promise<this> {
    this.selection = await selectFeatures(input, this.options);
    return this;
  }
  transform(input: TableInput): Table {
    return this.fitted().transform(input);
  }
  async fitTransform(input: TableInput): Promise<Table> {
    await this.fit(input);
    return this.transform(input);
  }
  getSupport(): boolean[] {
    return this.fitted().getSupport();
  }
  getFeatureNamesOut(): string[] {
    return this.fitted().getFeatureNamesOut();
  }
}

export interface KSweep {
  /** One row per K, ascending: the test metric over seeds and the fitted selection. */
  rows: { k: number; metric: FeatureSelectionData['metric']; uniquePct: number; selection: FeatureSelection }[];
  /** The suggested K, by `rule`. */
  suggested: number;
  rule: string;
}

/**
 * Fits one selector per K (each K's seeds trained together as one replica group) on the same
 * table and splits, and suggests a K: the smallest whose mean test metric is within one standard
 * deviation of the best (README: choosing K).
 */
export async function sweepK(input: TableInput, options: Omit<SelectOptions, 'k'> & { k: number[] }): Promise<KSweep> {
  const ks = options?.k;
  if (!Array.isArray(ks) || ks.length === 0) throw invalidArgument('options.k', 'a non-empty list of distinct positive integers (the K values to try)', ks);
  ks.forEach((k, i) => {
    if (!Number.isInteger(k) || k < 1) throw invalidArgument(`options.k[${i}]`, 'a positive integer (the K values are distinct positive integers)', k);
    if (ks.indexOf(k) !== i) throw invalidArgument(`options.k[${i}]`, `distinct positive integers (options.k[${ks.indexOf(k)}] is ${k} too)`, k);
  });
  // The table is read and converted once; each K trains on the same matrices.
  const sorted = [...ks].sort((a, b) => a - b);
  const parsed = sorted.map((k) => parseOrThrow(selectOptionsSchema, { ...options, k }, 'options'));
  const { prep, meta } = await readAndPrepareFor(input, parsed[0]);
  const rows: KSweep['rows'] = [];
  for (const [i, k] of sorted.entries()) {
    const selection = await selectPrepared(prep, meta, parsed[i]);
    const uniquePct = meanStd(selection.perSeed.map((p) => (100 * new Set(p.indices).size) / k)).mean;
    rows.push({ k, metric: selection.metric, uniquePct, selection });
  }
  const higher = rows[0].selection.data.task === 'classification';
  return { rows, suggested: suggestK(rows.map((r) => ({ k: r.k, mean: r.metric.mean, std: r.metric.std })), higher), rule: SUGGESTION_RULE };
}

/** One replica's decoder parameters (best validation), float32, for a saved selection. */
function decoderOf(trainer: Trainer, replica: number, hidden: number[] | undefined): NonNullable<FeatureSelectionData['decoder']> {
  const blocks = trainer.replicaParameters(replica, { best: true }).filter((p) => p.name.startsWith('decoder.'));
  const total = blocks.reduce((a, p) => a + p.values.length, 0);
  const values = new Float32Array(total);
  let at = 0;
  for (const p of blocks) {
    values.set(p.values, at);
    at += p.values.length;
  }
  return {
    seed: trainer.options.seeds[replica],
    hidden: hidden ?? trainerOptionsSchema.shape.hidden.parse(undefined),
    parameters: blocks.map((p) => ({ name: p.name, shape: p.shape })),
    values: Buffer.from(values.buffer).toString('base64'),
  };
}
