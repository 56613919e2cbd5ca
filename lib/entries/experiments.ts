// `import … from 'ipcae/experiments'`: runs, configs, the baselines, reports and exports — what
// ipcae-run and ipcae are made of, for scripts that drive experiments themselves.
export { runExperiment, estimateRun, seedsPerGroup } from '../experiment/run.js';
export { summarize } from '../experiment/summary.js';
export type { Summary, SeedSummary, RunSettings } from '../experiment/summary.js';
export { loadExperimentConfig, resolveExperimentConfig, experimentSchema } from '../config/experiment.js';
export type { ExperimentConfig, ExperimentConfigInput } from '../config/experiment.js';
export { FIT_OPTIONS } from '../config/fit-options.js';
export type { FitOption } from '../config/fit-options.js';
export { METHODS, BASELINE_METHODS, ALL_METHODS, methodOptions, paperLambda } from '../train/methods.js';
export type { Method, BaselineMethod, AnyMethod } from '../train/methods.js';
export { stgSearch } from '../baselines/stg.js';
export { lassonetPath } from '../baselines/lassonet.js';
export { retrainNative as retrainSelection, toNativeSplits as baselineSplits } from '../baselines/native.js';
export { nativeBaselineOptions as baselineOptions, stgSettingsSchema, lassonetSettingsSchema } from '../baselines/options.js';
export { comparisonTable, compareRuns, speedUp, readRun, readRuns, paperCell } from '../report/compare.js';
export type { RunRecord } from '../report/compare.js';
export { writeReport } from '../report/page.js';
export { drawRunFigures, planReport, drawFigures } from '../report/figures.js';
export { exportRuns, EXPORT_FORMATS } from '../report/export.js';
export { PAPER, paperValue } from '../report/paper.js';
