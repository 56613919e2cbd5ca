// Per-feature scores and a ranking from trained selectors, stable across runs with the same seeds.
//
// score(d) = the mean over seeds of Σ_k softmax(L_k)_d: the expected number of selector nodes that
// pick feature d under the nodes' own distributions (no noise, no temperature: the π of docs/method.md §3).
// The scores of all D features sum to K. frequency(d) = the share of seeds whose hard selection
// (argmax per node) contains d. The ranking orders features by score, then frequency, then index.

export interface FeatureScore {
  feature: string;
  index: number;
  score: number;
  frequency: number;
}

/** Σ_k p[k, d] of one seed's K × D probabilities (row-major). */
export function selectionMass(probabilities: ArrayLike<number>, k: number, d: number): number[] {
  const out = new Array<number>(d).fill(0);
  for (let r = 0; r < k; r++) for (let j = 0; j < d; j++) out[j] += probabilities[r * d + j];
  return out;
}

/** Scores and frequencies of every feature, best first (the ranking). */
export function featureScores(seeds: { mass: ArrayLike<number>; selected: number[] }[], names: string[]): FeatureScore[] {
  const D = names.length;
  const n = Math.max(1, seeds.length);
  const score = new Float64Array(D),
    freq = new Float64Array(D);
  for (const s of seeds) {
    for (let j = 0; j < D; j++) score[j] += s.mass[j] / n;
    for (const j of new Set(s.selected)) freq[j] += 1 / n;
  }
  return names
    .map((feature, index) => ({ feature, index, score: round(score[index]), frequency: round(freq[index]) }))
    .sort((a, b) => b.score - a.score || b.frequency - a.frequency || a.index - b.index);
}

/** 9 significant digits: identical inputs give identical files, float noise below that is dropped. */
const round = (x: number) => Number(x.toPrecision(9));
