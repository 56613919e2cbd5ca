// Statistics over seeds: mean ± sample std, and how stable the selected sets are.

export function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

export interface Stability {
  /** Seeds that selected each feature (by name), most selected first. */
  featureCounts: Record<string, number>;
  meanPairwiseJaccard: number;
  /** The K most selected features. */
  consensus: string[];
}

export function stability(selections: number[][], names: string[], k: number): Stability {
  const counts = new Map<number, number>();
  for (const s of selections) for (const f of new Set(s)) counts.set(f, (counts.get(f) ?? 0) + 1);
  let jac = 0,
    pairs = 0;
  for (let i = 0; i < selections.length; i++)
    for (let j = i + 1; j < selections.length; j++) {
      const a = new Set(selections[i]),
        b = new Set(selections[j]);
      const inter = [...a].filter((x) => b.has(x)).length;
      jac += inter / (a.size + b.size - inter);
      pairs++;
    }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return {
    featureCounts: Object.fromEntries(ranked.map(([f, c]) => [names[f] ?? String(f), c])),
    meanPairwiseJaccard: pairs ? jac / pairs : 1,
    consensus: ranked.slice(0, k).map(([f]) => names[f] ?? String(f)),
  };
}

/** The variance of the values around their mean, divided by n (R² = 1 − MSE / this). */
export function populationVariance(v: ArrayLike<number>): number {
  const n = v.length;
  if (n === 0) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i] / n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (v[i] - m) ** 2;
  return s / n;
}
