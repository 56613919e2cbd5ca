export { Trainer, capabilities } from './train/trainer.js';
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
