// The options of a fit, each defined once: its key (in configs and in selectFeatures' options), its
// flag, help and parser (ipcae-run, ipcae slurm submit), and the zod field that checks it and holds
// its default. The experiment schema (configs/*.yaml), the library's options and the command line's
// flags, their checks and their overrides of a config all derive from this table. A new option is
// one entry here (plus the trainer's native options when the trainer takes it, plus the docs).
import { z } from 'zod';
import { trainerOptionsSchema } from '../train/options.js';
import { ALL_METHODS, DEFAULT_GJSD_LAMBDA } from '../train/methods.js';
import { DEFAULT_RETRAIN_EPOCHS } from '../baselines/options.js';
import { DEFAULT_SCHEDULE } from '../train/schedule.js';
import { hiddenFlag, intFlag, kListFlag, numberFlag, seedsFlag, temperatureFlag } from './flags.js';

const t = trainerOptionsSchema.shape;

export interface FitOption {
  /** The key in a config and in selectFeatures' options. */
  key: string;
  /** The flag with its argument ('--batch-size <n>'); no argument: a switch. None: not on the command line. */
  flag?: string;
  help?: string;
  /** The flag's parser (the value stays a string without one; the zod field checks it either way). */
  parse?: (flag: string) => (v: string) => unknown;
  /** The field in a config file (with the config's default); absent: not in configs. */
  config?: z.ZodTypeAny;
  /** Where a config keeps it, when not at its top level. */
  configPath?: readonly string[];
  /** The field in selectFeatures' options, when it differs from the config's; false: not a library option. */
  library?: z.ZodTypeAny | false;
}

const temperature = z
  .object({ start: z.number().positive(), end: z.number().positive() })
  .strict()
  .default({ start: DEFAULT_SCHEDULE.t0, end: DEFAULT_SCHEDULE.tEnd });

export const FIT_OPTIONS = [
  { key: 'method', flag: '--method <method>', help: ALL_METHODS.join(' | '), config: z.enum(ALL_METHODS).default('ip-cae') },
  { key: 'k', flag: '--k <n>', help: 'features to select; a comma-separated list trains each K and suggests one (a K sweep)', parse: kListFlag, config: t.k },
  { key: 'batchSize', flag: '--batch-size <n>', help: 'minibatch size', parse: (f: string) => intFlag(f, 1), config: t.batchSize.unwrap(), library: t.batchSize },
  { key: 'epochs', flag: '--epochs <n>', help: 'training epochs', parse: (f: string) => intFlag(f, 1), config: z.number().int().min(1).default(DEFAULT_SCHEDULE.epochs) },
  { key: 'lr', flag: '--lr <x>', help: 'Adam learning rate', parse: (f: string) => numberFlag(f), config: t.lr },
  {
    key: 'temperature',
    flag: '--temperature <start,end>',
    help: `the relaxation's temperature, annealed exponentially from start to end over the epochs (default ${DEFAULT_SCHEDULE.t0},${DEFAULT_SCHEDULE.tEnd}, the paper's)`,
    parse: temperatureFlag,
    config: temperature,
  },
  { key: 'hidden', flag: '--hidden <list>', help: "decoder hidden widths, comma-separated; '' for a linear decoder", parse: hiddenFlag, config: t.hidden, configPath: ['decoder', 'hidden'] },
  { key: 'gjsdLambda', flag: '--gjsd-lambda <x>', help: 'λ of the *-gjsd methods', parse: (f: string) => numberFlag(f, { orZero: true }), config: t.gjsdLambda.unwrap().default(DEFAULT_GJSD_LAMBDA) },
  {
    key: 'noise',
    flag: '--noise <mode>',
    help: 'per-sample | per-batch (default: per-sample up to 2,048 features, per-batch above)',
    config: t.noise.removeDefault().optional(),
  },
  { key: 'shuffle', flag: '--shuffle', help: 'shuffle the training set every epoch (the published runs did not)', config: t.shuffle },
  { key: 'seeds', flag: '--seeds <list>', help: "comma-separated seeds, or 'paper' (11,22,…,99,1010)", parse: seedsFlag, config: t.seeds },
  { key: 'device', flag: '--device <device>', help: 'cpu | cuda | cuda:N | auto', config: t.device },
  { key: 'threads', flag: '--threads <n>', help: 'CPU threads (0 = all cores)', parse: (f: string) => intFlag(f, 0), config: t.threads },
  { key: 'checkpointEvery', flag: '--checkpoint-every <n>', help: 'save a resumable state every n epochs', parse: (f: string) => intFlag(f, 1), config: z.number().int().min(1).default(10), library: false },
  { key: 'p', flag: '--p <n>', help: 'embedding size P of the IP selector (default: P = D up to 2,048 features, max(64, K) above)', parse: (f: string) => intFlag(f, 1), config: t.embeddingDim.removeDefault().optional() },
  {
    key: 'retrain',
    flag: '--retrain',
    help: "also test each seed's selection with a freshly trained MLP (one hidden layer of 200; the baselines stg and lassonet always do)",
    config: z.boolean().optional(),
    library: false,
  },
  {
    key: 'retrainEpochs',
    flag: '--retrain-epochs <n>',
    help: `epochs of that retrained MLP (default ${DEFAULT_RETRAIN_EPOCHS}, the paper's)`,
    parse: (f: string) => intFlag(f, 1),
    config: z.number().int().min(1).optional(),
    library: z.number().int().min(1).default(DEFAULT_RETRAIN_EPOCHS),
  },
] as const satisfies readonly FitOption[];

export type FitOptionKey = (typeof FIT_OPTIONS)[number]['key'];

type Entry = (typeof FIT_OPTIONS)[number];

/** An option of the table by its key (typed as its entry). */
export function fitOption<K extends FitOptionKey>(key: K): Extract<Entry, { key: K }> {
  return FIT_OPTIONS.find((o) => o.key === key) as Extract<Entry, { key: K }>;
}

/** The flag's name alone ('--batch-size'). */
export const flagName = (o: Pick<FitOption, 'flag'>): string => o.flag!.split(' ')[0];

type TopLevel = Exclude<Entry, { configPath: readonly string[] }>;
type ConfigFields = { [E in TopLevel as E['key']]: E['config'] };
type LibraryFields = {
  [E in Entry as E extends { library: false } ? never : E['key']]: E extends { library: infer L extends z.ZodTypeAny } ? L : E['config'];
};

/** The top-level fields of a config, in the table's order (nested ones, e.g. decoder.hidden, are placed by the schema). */
export function configFields(): ConfigFields {
  return Object.fromEntries(FIT_OPTIONS.filter((o) => !('configPath' in o)).map((o) => [o.key, o.config])) as unknown as ConfigFields;
}

/** The fields of selectFeatures' options that the table defines. */
export function libraryFields(): LibraryFields {
  return Object.fromEntries(
    FIT_OPTIONS.filter((o) => !('library' in o) || o.library !== false).map((o) => [o.key, 'library' in o && o.library ? o.library : o.config]),
  ) as unknown as LibraryFields;
}
