// Experiment configs (configs/<dataset>/<task>.yaml): schema, loading with errors that name the
// file and the key, and command-line overrides. The resolved config is what a run records.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { IpcaeError } from '../errors.js';
import { packageRoot } from '../files/package-root.js';
import { formatIssue } from '../validate.js';
import { lassonetSettingsSchema, stgSettingsSchema } from '../baselines/options.js';
import { trainerOptionsSchema } from '../train/options.js';
import { widthDefaults, type Noise } from '../train/wide-defaults.js';
import { TASKS } from '../task.js';
import { configFields, fitOption } from './fit-options.js';

export const DATASETS = ['mnist', 'fashion-mnist', 'isolet', 'coil20', 'har', 'mice', 'mnist-embedded', 'gene', 'arcene', 'dexter', 'cancer', 'breast'] as const;

// Fields shared with the trainer come from its schema: one definition of each limit and default.
const t = trainerOptionsSchema.shape;

export const experimentSchema = z
  .object({
    dataset: z.string().min(1),
    /** regression: a user's table with a numeric target (the paper's datasets have classification and reconstruction). */
    task: z.enum(TASKS),
    // every option of a fit (method, k, epochs, …): fit-options.ts, the one table
    ...configFields(),
    decoder: z.object({ hidden: fitOption('hidden').config, dropout: t.dropout }).strict().default({ hidden: [200], dropout: 0 }),
    /** Written by a run: why P or the noise differ from the paper's (a wide table's defaults). */
    defaultsNote: z.string().optional(),
    /** STG's settings and λ search (method stg). */
    stg: stgSettingsSchema.optional(),
    /** LassoNet's settings (method lassonet). */
    lassonet: lassonetSettingsSchema.optional(),
  })
  .strict();

export type ExperimentConfig = z.output<typeof experimentSchema>;
/** A config with the width-dependent defaults resolved against its data (what a run records). */
export type RunConfig = ExperimentConfig & { p: number; noise: Noise };

/** P and the noise resolved for D features (lib/train/wide-defaults.ts); a resolved config is returned as it is. */
export function withWidthDefaults(cfg: ExperimentConfig, D: number): RunConfig {
  if (cfg.p !== undefined && cfg.noise !== undefined) return cfg as RunConfig;
  // P is free only for the shared IP map (ip-diag and ip-scalar need P = D)
  const d = widthDefaults(D, cfg.k, { p: cfg.p, noise: cfg.noise }, cfg.method === 'ip-cae' || cfg.method === 'ip-cae-gjsd');
  return { ...cfg, p: d.p, noise: d.noise, ...(d.note ? { defaultsNote: d.note } : {}) };
}
export type ExperimentConfigInput = z.input<typeof experimentSchema>;

export const CONFIG_DIR = path.join(packageRoot(), 'configs');

/** The shipped config of a dataset and task. */
export function defaultConfigFile(dataset: string, task: string): string {
  return path.join(CONFIG_DIR, dataset, `${task}.yaml`);
}

function validate(input: unknown, where: string): ExperimentConfig {
  const r = experimentSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => formatIssue(i, input, '', experimentSchema));
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `${where}: ${lines.join('; ')}`);
  }
  return r.data;
}

/** Reads and validates a YAML (or JSON) config file, then applies overrides (flags) on top. */
export function loadExperimentConfig(file: string, overrides: Partial<ExperimentConfigInput> = {}): ExperimentConfig {
  if (!existsSync(file)) throw new IpcaeError('ERR_INVALID_ARGUMENT', `Config file ${file} does not exist`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IpcaeError('ERR_INVALID_ARGUMENT', `Config file ${file} cannot be read: ${code === 'EISDIR' ? 'it is a directory (expected a YAML file)' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
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
