// Experiment configs (configs/<dataset>/<task>.yaml): schema, loading with errors that name the
// file and the key, and command-line overrides. The resolved config is what a run records.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { IpcaeError } from '../errors.js';
import { formatIssue } from '../validate.js';
import { METHODS } from '../experiment/methods.js';

export const DATASETS = ['mnist', 'fashion-mnist', 'isolet', 'coil20', 'har', 'mice', 'mnist-embedded'] as const;

const seed = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const experimentSchema = z
  .object({
    dataset: z.string().min(1),
    task: z.enum(['classification', 'reconstruction']),
    method: z.enum(METHODS).default('ip-cae'),
    k: z.number().int().min(1),
    batchSize: z.number().int().min(1),
    epochs: z.number().int().min(1).default(200),
    lr: z.number().positive().default(1e-3),
    temperature: z.object({ start: z.number().positive(), end: z.number().positive() }).strict().default({ start: 10, end: 0.01 }),
    decoder: z
      .object({ hidden: z.array(z.number().int().min(1)).default([200]), dropout: z.number().min(0).max(0.999).default(0) })
      .strict()
      .default({ hidden: [200], dropout: 0 }),
    gjsdLambda: z.number().min(0).default(0.05),
    noise: z.enum(['per-sample', 'per-batch']).default('per-sample'),
    shuffle: z.boolean().default(false),
    seeds: z.array(seed).min(1).default([11]),
    device: z.string().regex(/^(cpu|auto|cuda|cuda:\d+)$/).default('cpu'),
    threads: z.number().int().min(0).default(0),
    checkpointEvery: z.number().int().min(1).default(10),
    /** Embedding size P of the IP selector; 0 = D (the paper's). */
    p: z.number().int().min(0).default(0),
  })
  .strict();

export type ExperimentConfig = z.output<typeof experimentSchema>;
export type ExperimentConfigInput = z.input<typeof experimentSchema>;

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CONFIG_DIR = path.join(packageRoot, 'configs');

/** The shipped config of a dataset and task. */
export function defaultConfigFile(dataset: string, task: string): string {
  return path.join(CONFIG_DIR, dataset, `${task}.yaml`);
}

function validate(input: unknown, where: string): ExperimentConfig {
  const r = experimentSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => formatIssue(i, input));
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${where}: ${lines.join('; ')}`);
  }
  if (new Set(r.data.seeds).size !== r.data.seeds.length)
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${where}: Expected distinct seeds for seeds but received [${r.data.seeds.join(', ')}]`);
  return r.data;
}

/** Reads and validates a YAML (or JSON) config file, then applies overrides (flags) on top. */
export function loadExperimentConfig(file: string, overrides: Partial<ExperimentConfigInput> = {}): ExperimentConfig {
  if (!existsSync(file)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Config file ${file} does not exist`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${file}: expected a mapping of keys to values`);
  validate(raw, file); // the file alone must be valid: errors name the file's own keys
  return validate(mergeOverrides(raw as Record<string, unknown>, overrides), `${file} with command-line overrides`);
}

export function resolveExperimentConfig(input: unknown, where = 'config'): ExperimentConfig {
  return validate(input, where);
}

function mergeOverrides(base: Record<string, unknown>, o: Partial<ExperimentConfigInput>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if ((k === 'decoder' || k === 'temperature') && typeof v === 'object' && v && !Array.isArray(v))
      out[k] = { ...((base[k] as object) ?? {}), ...(v as object) };
    else out[k] = v;
  }
  return out;
}
