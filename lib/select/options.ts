// The options of selectFeatures and the file format of a saved selection, as zod schemas: the
// trainer's fields come from its schema (one definition of each limit and default); unknown keys
// are errors with a suggestion, never ignored.
import { z } from 'zod';
import { ALL_METHODS } from '../train/methods.js';
import { lassonetSettingsSchema, stgSettingsSchema } from '../baselines/options.js';
import type { EpochMetrics } from '../train/trainer.js';
import { TASKS } from '../task.js';
import { libraryFields } from '../config/fit-options.js';

export const selectOptionsSchema = z
  .object({
    // every option a fit shares with configs and the command line (k, seeds, epochs, method, lr,
    // temperature, p, noise, hidden, …): lib/config/fit-options.ts, the one table
    ...libraryFields(),
    /** STG's settings and λ search (method stg). */
    stg: stgSettingsSchema.optional(),
    /** LassoNet's settings (method lassonet). */
    lassonet: lassonetSettingsSchema.optional(),
    /** K distinct features (assignment when argmax repeats one); false: the paper's argmax selection, duplicates kept. */
    distinct: z.boolean().default(true),
    /** Decoder-only epochs on the final selection (selector frozen) when distinct selections changed some seed; 0: none. */
    finetune: z.number().int().min(0).default(0),
    /** Bytes the fit may use (default: the machine's or its cgroup's memory); a larger estimate is refused before training (ERR_MEMORY_BUDGET). */
    memoryLimit: z.number().positive().optional(),
    // how the table is read (lib/tables/table.ts)
    target: z.string().optional(),
    task: z.enum(TASKS).optional(),
    features: z.array(z.string()).optional(),
    exclude: z.array(z.string()).optional(),
    split: z
      .object({
        column: z.string().optional(),
        fractions: z.tuple([z.number(), z.number(), z.number()]).optional(),
        seed: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    scaling: z.enum(['none', 'minmax', 'standard']).optional(),
    impute: z.enum(['error', 'mean']).optional(),
    /** Text and dictionary columns: an error naming them (default) or one-hot features 'column=value'. */
    categorical: z.enum(['error', 'onehot']).optional(),
    onEpoch: z.custom<(m: EpochMetrics) => void>((v) => typeof v === 'function', { message: 'Expected a function' }).optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { message: 'Expected an AbortSignal' }).optional(),
  })
  .strict();

export type SelectOptions = z.input<typeof selectOptionsSchema>;

const seedSelection = z
  .object({
    seed: z.number().int().min(0),
    features: z.array(z.string()),
    indices: z.array(z.number().int().min(0)),
    bestEpoch: z.number().int(),
    bestValLoss: z.number(),
    testMetric: z.number(),
    r2: z.number().optional(),
    /** stg / lassonet: the λ chosen, the features it kept, and whether that was exactly K. */
    baseline: z
      .object({
        lambda: z.number(),
        count: z.number().int().min(0),
        exact: z.boolean(),
        startTooLarge: z.object({ start: z.number(), firstDrop: z.number() }).strict().optional(),
      })
      .strict()
      .optional(),
    faithful: z
      .object({ features: z.array(z.string()), indices: z.array(z.number().int().min(0)), bestValLoss: z.number(), testMetric: z.number() })
      .strict()
      .optional(),
  })
  .strict();

/** A saved selection (FeatureSelection.save): every field checked, and checked against each other. */
export const selectionFileSchema = z
  .object({
    format: z.literal('ipcae-selection-v1'),
    task: z.enum(TASKS),
    k: z.number().int().min(1),
    method: z.enum(ALL_METHODS),
    inputFeatures: z.array(z.string()).min(1),
    features: z.array(z.string()),
    indices: z.array(z.number().int().min(0)),
    classes: z.array(z.string()).optional(),
    metric: z.object({ name: z.string(), mean: z.number(), std: z.number(), r2: z.object({ mean: z.number(), std: z.number() }).strict().optional(), faithful: z.object({ mean: z.number(), std: z.number() }).strict().optional() }).strict(),
    perSeed: z.array(seedSelection).min(1),
    stability: z
      .object({ featureCounts: z.record(z.string(), z.number()), meanPairwiseJaccard: z.number(), consensus: z.array(z.string()) })
      .strict(),
    scaling: z.object({ kind: z.enum(['none', 'minmax', 'standard']), offset: z.array(z.number()), scale: z.array(z.number()) }).strict(),
    ignored: z.array(z.object({ column: z.string(), reason: z.string() }).strict()).optional(),
    encodings: z.array(z.object({ column: z.string(), categories: z.array(z.string()).min(1) }).strict()).optional(),
    finetuned: z.number().int().min(1).optional(),
    /** Set when P or the noise were chosen by the table's width (not the paper's): the values and why. */
    widthDefaults: z.object({ p: z.number().int().min(0), noise: z.enum(['per-sample', 'per-batch']), note: z.string() }).strict().optional(),
    retrained: z.object({ epochs: z.number().int().min(1), hidden: z.number().int().min(1) }).strict().optional(),
    decoder: z
      .object({
        seed: z.number().int().min(0),
        hidden: z.array(z.number().int().min(1)),
        parameters: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(1)) }).strict()).min(1),
        values: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
      })
      .strict()
      .optional(),
    scores: z.array(z.object({ feature: z.string(), index: z.number().int().min(0), score: z.number(), frequency: z.number().min(0).max(1) }).strict()).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const D = d.inputFeatures.length;
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (d.features.length !== d.k) issue(['features'], `Expected k = ${d.k} names`);
    if (d.indices.length !== d.k) issue(['indices'], `Expected k = ${d.k} indices`);
    d.indices.forEach((j, i) => {
      if (j >= D) issue(['indices', i], `Expected an index below the ${D} input features`);
      else if (d.features[i] !== undefined && d.features[i] !== d.inputFeatures[j]) issue(['features', i], `Expected '${d.inputFeatures[j]}' (inputFeatures[${j}])`);
    });
    if (d.scaling.offset.length !== D) issue(['scaling', 'offset'], `Expected ${D} values (one per input feature)`);
    if (d.scaling.scale.length !== D) issue(['scaling', 'scale'], `Expected ${D} values (one per input feature)`);
    if (d.task === 'classification' && !(d.classes && d.classes.length >= 2)) issue(['classes'], 'Expected the class names of a classification selector');
    if (new Set(d.inputFeatures).size !== D) issue(['inputFeatures'], 'Expected distinct names');
  });
