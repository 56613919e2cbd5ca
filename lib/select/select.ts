// The pipeline API's fit: any table input → a FeatureSelection, through the one fitting core
// (lib/fit) — IP-CAE and its relatives, CAE, and the baselines STG and LassoNet.
import { Trainer, preload } from '../train/trainer.js';
import { trainerOptionsSchema } from '../train/options.js';
import { availableMemory, estimateMemory, memoryBudgetError, replicasThatFit } from '../train/memory-model.js';
import { widthDefaults } from '../train/wide-defaults.js';
import { isBaselineMethod, methodOptions, type AnyMethod, type BaselineMethod, type Method } from '../train/methods.js';
import { lassonetSettingsSchema, nativeBaselineOptions, stgSettingsSchema } from '../baselines/options.js';
import { toNativeSplits } from '../baselines/native.js';
import { checkBaselineOptions, fitBaseline } from '../fit/baseline.js';
import { meanStd, stability } from '../stats/stats.js';
import { featureScores, selectionMass } from '../stats/scores.js';
import { selectorOutcomes, trainSelector, divergedList } from '../fit/selector.js';
import { IpcaeError, invalidArgument } from '../errors.js';
import { parseOrThrow } from '../validate.js';
import { selectOptionsSchema, type SelectOptions } from './options.js';
import { type TableInput } from '../tables/read.js';
import { readAndPrepare } from '../tables/read-async.js';
import { isMatrixInput } from '../tables/memory.js';
import { outputWidth, taskMetric } from '../task.js';
import { FeatureSelection, type FeatureSelectionData, type SeedSelection } from './selection.js';

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
export function readAndPrepareFor(input: TableInput, o: ParsedSelectOptions) {
  const matrixTarget = isMatrixInput(input) && input.y !== undefined;
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
export async function selectPrepared(prep: Prepared['prep'], meta: Prepared['meta'], o: ParsedSelectOptions): Promise<FeatureSelection> {
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
    shuffle: o.shuffle,
  });
  try {
    await trainer.setData(prep.splits);
    try {
      await trainSelector(trainer, { epochs: o.epochs, temperature: o.temperature, onEpoch: o.onEpoch, signal: o.signal });
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

export type { SelectOptions } from './options.js';
