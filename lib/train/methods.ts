// Named method presets (docs/method.md §1 and §3) and the paper's GJSD λ per dataset and task.
import type { TrainerOptionsInput } from './options.js';

export const METHODS = ['cae', 'cae-gjsd', 'ip-cae', 'ip-cae-gjsd', 'ip-diag', 'ip-scalar'] as const;
export type Method = (typeof METHODS)[number];

/** The paper's baselines (lib/baselines): their own networks, a λ chosen for K features, then a retrained MLP. */
export const BASELINE_METHODS = ['stg', 'lassonet'] as const;
export type BaselineMethod = (typeof BASELINE_METHODS)[number];
/** Every method a run accepts, in the paper's table order. */
export const ALL_METHODS = [...METHODS, ...BASELINE_METHODS] as const;
export type AnyMethod = (typeof ALL_METHODS)[number];

export function isBaselineMethod(m: string): m is BaselineMethod {
  return (BASELINE_METHODS as readonly string[]).includes(m);
}

/** The GJSD λ when a config or the library's options give none (the paper's classification value). */
export const DEFAULT_GJSD_LAMBDA = 0.05;

/** The paper's λ: classification 0.05 everywhere; reconstruction 0.05 (MNIST, Fashion-MNIST, COIL-20) or 0.005. */
export function paperLambda(dataset: string, task: string): number {
  if (task !== 'reconstruction') return DEFAULT_GJSD_LAMBDA;
  return /mnist|fashion|coil/i.test(dataset) ? DEFAULT_GJSD_LAMBDA : 0.005;
}

/** Trainer options of a method preset; `lambda` is the config's GJSD λ, used by the *-gjsd methods. */
export function methodOptions(method: Method, lambda: number): Partial<TrainerOptionsInput> {
  switch (method) {
    case 'cae':
      return { selector: 'cae', gjsdLambda: 0 };
    case 'cae-gjsd':
      return { selector: 'cae', gjsdLambda: lambda };
    case 'ip-cae':
      return { selector: 'ip', ipWeights: 'shared', gjsdLambda: 0 };
    case 'ip-cae-gjsd':
      return { selector: 'ip', ipWeights: 'shared', gjsdLambda: lambda };
    case 'ip-diag':
      return { selector: 'ip', ipWeights: 'diag', gjsdLambda: 0 };
    case 'ip-scalar':
      return { selector: 'ip', ipWeights: 'scalar', gjsdLambda: 0 };
  }
}
