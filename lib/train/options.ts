// Options of one trainer (one replica group): the one definition of the native surface. The
// schema validates and fills defaults; the TS types are inferred from it; the addon accepts exactly
// these keys (a test compares them); experiment configs reuse its fields. The native core repeats
// the checks it depends on (options.cpp), as a last line behind these.
import { z } from 'zod';
import { parseOrThrow } from '../validate.js';
import { IpcaeError } from '../errors.js';
import { seedListSchema } from './seeds.js';
import { TASKS } from '../task.js';

const int = () => z.number().int();
const nonNegInt = () => z.number().int().min(0);

export const trainerOptionsSchema = z
  .object({
    selector: z.enum(['cae', 'ip']).default('ip'),
    ipWeights: z.enum(['shared', 'diag', 'scalar']).default('shared'),
    /** P, the embedding size of the IP selector; 0 means P = D. */
    embeddingDim: nonNegInt().default(0),
    ipBias: z.boolean().default(true),
    noise: z.enum(['per-sample', 'per-batch']).default('per-sample'),
    hidden: z.array(int().min(1)).default([200]),
    /** Dropout after each hidden layer, in [0, 1). */
    dropout: z.number().min(0).lt(1).default(0),
    task: z.enum(TASKS).default('classification'),
    inputDim: int().min(1),
    k: int().min(1),
    /** Classes (classification) or target width (regression); ignored for reconstruction. */
    outputDim: nonNegInt().default(0),
    lr: z.number().positive().default(1e-3),
    beta1: z.number().min(0).max(0.999999999).default(0.9),
    beta2: z.number().min(0).max(0.999999999).default(0.999),
    eps: z.number().positive().default(1e-8),
    gjsdLambda: z.number().min(0).default(0),
    batchSize: int().min(1).default(128),
    shuffle: z.boolean().default(false),
    shuffleSeed: nonNegInt().max(Number.MAX_SAFE_INTEGER).optional(),
    seeds: seedListSchema.default([11]),
    device: z
      .string()
      .regex(/^(cpu|auto|cuda|cuda:\d+)$/, { message: "'cpu', 'cuda', 'cuda:N' or 'auto'" })
      .default('cpu'),
    threads: nonNegInt().default(0),
    dtype: z.enum(['float32', 'float64']).default('float32'),
    fusedSelection: z.boolean().default(true),
    evalBatchSize: int().min(1).default(2048),
    /** Keep the relaxed selection weights between forward and backward while they fit in this many MiB. */
    selectionCacheMB: z.number().min(0).default(8),
  })
  .strict();

/** The option keys of the native trainer, in schema order. */
export const TRAINER_OPTION_KEYS = Object.keys(trainerOptionsSchema.shape) as (keyof typeof trainerOptionsSchema.shape)[];

export type TrainerOptionsInput = z.input<typeof trainerOptionsSchema>;
export type TrainerOptions = z.output<typeof trainerOptionsSchema> & { shuffleSeed: number };

export function resolveTrainerOptions(input: unknown, prefix = 'options'): TrainerOptions {
  const o = parseOrThrow(trainerOptionsSchema, input, prefix);
  const bad = (msg: string) => new IpcaeError('ERR_INVALID_ARGUMENT', msg);
  if (o.k > o.inputDim) throw bad(`Expected an integer in [1, ${o.inputDim}] for ${prefix}.k but received ${o.k}`);
  if (o.task === 'classification' && o.outputDim < 2)
    throw bad(`Expected the number of classes (>= 2) for ${prefix}.outputDim but received ${o.outputDim}`);
  if (o.task === 'regression' && o.outputDim < 1)
    throw bad(`Expected the target width (>= 1) for ${prefix}.outputDim but received ${o.outputDim}`);
  if (o.selector === 'ip' && o.ipWeights !== 'shared' && o.embeddingDim !== 0 && o.embeddingDim !== o.inputDim)
    throw bad(
      `Expected embeddingDim = inputDim (${o.inputDim}) for ipWeights '${o.ipWeights}' but received ${o.embeddingDim}`,
    );
  // Shuffling order is shared by the group (one data order): by default it follows the first seed.
  return { ...o, shuffleSeed: o.shuffleSeed ?? o.seeds[0] };
}
