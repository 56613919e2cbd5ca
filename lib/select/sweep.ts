// Choosing K: one fit per K on the same table and splits, and the suggested K.
import { meanStd } from '../stats/stats.js';
import { SUGGESTION_RULE, suggestK } from '../stats/sweep.js';
import { invalidArgument } from '../errors.js';
import { parseOrThrow } from '../validate.js';
import { selectOptionsSchema, type SelectOptions } from './options.js';
import { type TableInput } from '../tables/read.js';
import type { FeatureSelection, FeatureSelectionData } from './selection.js';
import { readAndPrepareFor, selectPrepared } from './select.js';

export interface KSweep {
  /** One row per K, ascending: the test metric over seeds and the fitted selection. */
  rows: { k: number; metric: FeatureSelectionData['metric']; uniquePct: number; selection: FeatureSelection }[];
  /** The suggested K, by `rule`. */
  suggested: number;
  rule: string;
}

/**
 * Fits one selector per K (each K's seeds trained together as one replica group) on the same
 * table and splits, and suggests a K: the smallest whose mean test metric is within one standard
 * deviation of the best (docs/library.md: choosing K).
 */
export async function sweepK(input: TableInput, options: Omit<SelectOptions, 'k'> & { k: number[] }): Promise<KSweep> {
  const ks = options?.k;
  if (!Array.isArray(ks) || ks.length === 0) throw invalidArgument('options.k', 'a non-empty list of distinct positive integers (the K values to try)', ks);
  ks.forEach((k, i) => {
    if (!Number.isInteger(k) || k < 1) throw invalidArgument(`options.k[${i}]`, 'a positive integer (the K values are distinct positive integers)', k);
    if (ks.indexOf(k) !== i) throw invalidArgument(`options.k[${i}]`, `distinct positive integers (options.k[${ks.indexOf(k)}] is ${k} too)`, k);
  });
  // The table is read and converted once; each K trains on the same matrices.
  const sorted = [...ks].sort((a, b) => a - b);
  const parsed = sorted.map((k) => parseOrThrow(selectOptionsSchema, { ...options, k }, 'options'));
  const { prep, meta } = await readAndPrepareFor(input, parsed[0]);
  const rows: KSweep['rows'] = [];
  for (const [i, k] of sorted.entries()) {
    const selection = await selectPrepared(prep, meta, parsed[i]);
    const uniquePct = meanStd(selection.perSeed.map((p) => (100 * new Set(p.indices).size) / k)).mean;
    rows.push({ k, metric: selection.metric, uniquePct, selection });
  }
  const higher = rows[0].selection.data.task === 'classification';
  return { rows, suggested: suggestK(rows.map((r) => ({ k: r.k, mean: r.metric.mean, std: r.metric.std })), higher), rule: SUGGESTION_RULE };
}
