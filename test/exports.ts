// What the tests use from the package, in one place.
export { loadExperimentConfig, defaultConfigFile as defaultConfigFileForTest } from '../lib/config/experiment.js';
export { stability as stabilityForTest } from '../lib/stats/stats.js';
export { speedUp, selectFeatures, FeatureSelection, IpcaeError } from '../lib/index.js';
