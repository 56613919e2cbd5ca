// What the tests use from the package, in one place.
export { loadExperimentConfig, defaultConfigFile as defaultConfigFileForTest } from '../lib/config/experiment.js';
export { stability as stabilityForTest } from '../lib/stats/stats.js';
export { speedUp, selectFeatures, FeatureSelection, IpcaeError } from '../lib/index.js';
export { StgModel, LassoNetModel, retrainNative, hierProx, hierProxStart, toNativeSplits } from '../lib/baselines/native.js';
export { nativeBaselineOptions, stgSettingsSchema, replicaParts } from '../lib/baselines/options.js';
export { stgSearch, nextLambda, stgChoice } from '../lib/baselines/stg.js';
export { lassonetPath, lassonetChoice, startTooLarge } from '../lib/baselines/lassonet.js';
export { runExperiment, resolveExperimentConfig } from '../lib/index.js';
