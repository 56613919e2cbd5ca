// The baselines' settings (STG, LassoNet, the retrain evaluation): one definition with the
// official projects' defaults, validated here before anything reaches the addon.
import { z } from 'zod';

/** STG (runopti/stg's estimator) and its λ search. */
/** Epochs of the retrained MLP that scores a selection (the paper's 100). */
export const DEFAULT_RETRAIN_EPOCHS = 100;

export const stgSettingsSchema = z
  .object({
    sigma: z.number().positive().default(0.5),
    /** Adam's L2 weight decay on every parameter, μ included (runopti/stg: 1e-3). */
    weightDecay: z.number().min(0).default(1e-3),
    /** The λ search's first bracket [lambdaMin, lambdaMax] (log scale). */
    lambdaMin: z.number().positive().default(0.01),
    lambdaMax: z.number().positive().default(100),
    /** Search rounds after the first (each halves the bracket in log λ for every seed). */
    rounds: z.number().int().min(0).max(40).default(10),
  })
  .strict()
  .refine((s) => s.lambdaMin < s.lambdaMax, { message: 'lambdaMin must be below lambdaMax', path: ['lambdaMax'] });

/** LassoNet (lasso-net/lassonet's defaults; the dense phase uses the run's Adam lr). */
export const lassonetSettingsSchema = z
  .object({
    M: z.number().positive().default(10),
    pathMultiplier: z.number().gt(1).default(1.02),
    tol: z.number().gt(0).max(1).default(0.99),
    pathLr: z.number().positive().default(1e-3),
    momentum: z.number().min(0).lt(1).default(0.9),
    denseEpochs: z.number().int().min(1).default(1000),
    densePatience: z.number().int().min(1).default(100),
    pathEpochs: z.number().int().min(1).default(100),
    pathPatience: z.number().int().min(1).default(10),
    /** Full batch (the official default) unless set; the paper's batch size is not used here. */
    batchSize: z.number().int().min(0).default(0),
    /** The path's first λ: 'auto' (lassonet's default: a tenth of where Hier-Prox alone starts to drop features, over the path lr) or a value. */
    lambdaStart: z.union([z.literal('auto'), z.number().positive()]).default('auto'),
    /** Walk the path to the end (no feature left) instead of stopping once fewer than K remain. */
    fullPath: z.boolean().default(false),
  })
  .strict();

export type StgSettings = z.output<typeof stgSettingsSchema>;
export type LassoNetSettings = z.output<typeof lassonetSettingsSchema>;

/** What the addon takes (every key, no other: native/addon/baseline_wrap.cpp). */
export interface NativeBaselineOptions {
  task: string;
  inputDim: number;
  outputDim: number;
  hidden: number;
  batchSize: number;
  lr: number;
  seeds: number[];
  lambdas: number[];
  threads: number;
  dtype: 'float32' | 'float64';
  sigma: number;
  weightDecay: number;
  M: number;
  pathMultiplier: number;
  tol: number;
  pathLr: number;
  momentum: number;
  denseEpochs: number;
  densePatience: number;
  pathEpochs: number;
  pathPatience: number;
  /** 0: 'auto'. */
  lambdaStart: number;
  stopBelow: number;
}

export function nativeBaselineOptions(o: Partial<NativeBaselineOptions> & Pick<NativeBaselineOptions, 'task' | 'inputDim' | 'outputDim' | 'seeds'>): NativeBaselineOptions {
  const stg = stgSettingsSchema.parse({});
  const ln = lassonetSettingsSchema.parse({});
  return {
    hidden: 200,
    batchSize: 0,
    lr: 1e-3,
    lambdas: o.seeds.map(() => 0),
    threads: 0,
    dtype: 'float32',
    sigma: stg.sigma,
    weightDecay: stg.weightDecay,
    M: ln.M,
    pathMultiplier: ln.pathMultiplier,
    tol: ln.tol,
    pathLr: ln.pathLr,
    momentum: ln.momentum,
    denseEpochs: ln.denseEpochs,
    densePatience: ln.densePatience,
    pathEpochs: ln.pathEpochs,
    pathPatience: ln.pathPatience,
    lambdaStart: 0,
    stopBelow: 0,
    ...o,
  };
}

/**
 * How to spread R replicas over the cores: small networks gain nothing from threading one step
 * (measured: one thread per replica group beats two threads on the same group), so the replicas
 * are split into one group per core to use (`threads`, 0 = all cores), each run on its own worker
 * thread with one intra-op thread. Each replica's arithmetic does not depend on its group, so the
 * results are the same however they are split.
 */
export function replicaParts(count: number, threads: number, cores: number): { parts: number[][]; threads: number } {
  const n = Math.max(1, Math.min(threads > 0 ? threads : cores, count));
  const parts: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < count; i++) parts[Math.floor((i * n) / count)].push(i);
  return { parts, threads: 1 };
}
