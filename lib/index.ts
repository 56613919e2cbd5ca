export { Trainer, capabilities, preload } from './train/trainer.js';
export type {
  DataInput,
  SplitInput,
  EpochMetrics,
  ReplicaEpochMetrics,
  FitOptions,
  FitResult,
  ReplicaResult,
} from './train/trainer.js';
export { resolveTrainerOptions, trainerOptionsSchema } from './train/options.js';
export type { TrainerOptions, TrainerOptionsInput } from './train/options.js';
export { temperatureAt, temperatures, DEFAULT_SCHEDULE } from './train/schedule.js';
export type { TemperatureSchedule } from './train/schedule.js';
export { IpcaeError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { uniquePercentage, gjsd, meanMaxProbability } from './train/metrics.js';
export { selectFeatures } from './select/select.js';
export { sweepK } from './select/sweep.js';
export { FeatureSelection } from './select/selection.js';
export { FeatureSelector } from './select/estimator.js';
export type { KSweep } from './select/sweep.js';
export { suggestK, SUGGESTION_RULE } from './stats/sweep.js';
export type { SelectOptions } from './select/options.js';
export type { SeedSelection, FeatureSelectionData } from './select/selection.js';
export { prepareTable, prepareTableAsync } from './tables/table.js';
export type { TablePrepOptions, PreparedTable, Task, Scaling, IgnoredColumn, OneHotEncoding } from './tables/table.js';
export { readTable, readTableSync, readTableBytes, sniffFormat, READABLE_FORMATS } from './tables/read.js';
export type { TableInput, TableFormat, ReadResult } from './tables/read.js';
export type { MatrixInput } from './tables/memory.js';
export { readTableAsync, readAndPrepare } from './tables/read-async.js';
export { writeTable, WRITABLE } from './tables/write.js';
export type { WriteTableOptions } from './tables/write.js';
export { columnPolicy } from './tables/columns.js';
export type { ColumnPolicy, ColumnKind } from './tables/columns.js';
export type { PreparedDataset } from './datasets/dataset.js';
export { runExperiment } from './experiment/run.js';
export { summarize } from './experiment/summary.js';
export type { Summary, SeedSummary, RunSettings } from './experiment/summary.js';
export { meanStd, stability, populationVariance } from './stats/stats.js';
export { featureScores, selectionMass } from './stats/scores.js';
export type { FeatureScore } from './stats/scores.js';
export type { Stability } from './stats/stats.js';
export { loadExperimentConfig, resolveExperimentConfig, experimentSchema } from './config/experiment.js';
export type { ExperimentConfig, ExperimentConfigInput } from './config/experiment.js';
export { METHODS, BASELINE_METHODS, ALL_METHODS, methodOptions, paperLambda } from './train/methods.js';
export type { Method, BaselineMethod, AnyMethod } from './train/methods.js';
export { stgSearch } from './baselines/stg.js';
export type { StgSeedResult, StgSearchOptions, StgTry } from './baselines/stg.js';
export { lassonetPath } from './baselines/lassonet.js';
export type { LassoNetSeedResult, LassoNetRunOptions } from './baselines/lassonet.js';
export { retrainNative as retrainSelection, toNativeSplits as baselineSplits } from './baselines/native.js';
export type { RetrainResult } from './baselines/native.js';
export { nativeBaselineOptions as baselineOptions, stgSettingsSchema, lassonetSettingsSchema } from './baselines/options.js';
export { PAPER_SEEDS, parseSeedList } from './train/seeds.js';
export { comparisonTable, compareRuns, speedUp, readRun, readRuns } from './report/compare.js';
export type { RunRecord } from './report/compare.js';
export { writeReport } from './report/page.js';
export type { ReportResult } from './report/page.js';
export { drawRunFigures, planReport, drawFigures } from './report/figures.js';
export type { DrawnFigure, FigureOptions, ReportPlan } from './report/figures.js';
export { exportRuns, EXPORT_FORMATS } from './report/export.js';
export type { ExportFormat } from './report/export.js';
export { renderSvg, renderPng } from './figures/render.js';
export type { Figure } from './figures/render.js';
export { parseImageShape } from './figures/selection-map.js';
export { torchRandperm, numpyLegacyPermutation, trainTestSplit, MT19937 } from './tables/random.js';
export { prepareMice } from './datasets/mice.js';
export { prepareEmbeddedMnist } from './datasets/embedded.js';
