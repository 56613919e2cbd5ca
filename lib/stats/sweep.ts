// Choosing K from a sweep: the test metric of each K (mean ± std over seeds) and a suggested K by
// one documented rule — the smallest K whose mean is within one standard deviation of the best
// K's mean ("one-standard-error" style: no more features than the noise between seeds can justify).

export interface SweepRow {
  k: number;
  mean: number;
  std: number;
}

export const SUGGESTION_RULE = 'the smallest K whose mean is within one standard deviation (over seeds) of the best mean';

/** The suggested K; higherIsBetter for accuracy, false for errors. */
export function suggestK(rows: SweepRow[], higherIsBetter: boolean): number {
  if (rows.length === 0) throw new Error('suggestK: no rows');
  const better = (a: SweepRow, b: SweepRow) => (higherIsBetter ? a.mean > b.mean : a.mean < b.mean);
  const best = rows.reduce((a, b) => (better(b, a) || (b.mean === a.mean && b.k < a.k) ? b : a));
  const ok = rows.filter((r) => Math.abs(r.mean - best.mean) <= best.std || r === best);
  return Math.min(...ok.map((r) => r.k));
}
