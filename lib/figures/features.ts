// Tabular data: how often each of the most selected features was chosen over the seeds, by name.
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA } from './theme.js';
import type { Figure } from './render.js';

/**
 * Bars of selection frequency (share of seeds) for the `top` features, most selected first (ties:
 * higher score first); scores, when given, in a panel of their own beside them (their own axis).
 * Marks: `feature_bars` (and `feature_scores`), one per feature.
 */
export function featureFrequencyFigure(opts: {
  name: string;
  title: string;
  seeds: number;
  /** Per feature: name, how many seeds selected it, and its score when the run has scores. */
  features: { feature: string; count: number; score?: number }[];
  top: number;
}): Figure {
  const rows = [...opts.features]
    .sort((a, b) => b.count - a.count || (b.score ?? 0) - (a.score ?? 0) || a.feature.localeCompare(b.feature))
    .slice(0, opts.top)
    .map((f, i) => ({ ...f, rank: i + 1, share: f.count / Math.max(1, opts.seeds), what: `${f.feature}: ${f.count} of ${opts.seeds} seeds${f.score !== undefined ? `, score ${f.score.toFixed(3)}` : ''}` }));
  const hasScore = rows.some((r) => r.score !== undefined);
  // Two panels on one row per feature: the share of seeds (0 to 1) and the score (0 to K: a feature
  // several nodes chose scores above 1) each on its own axis, never one axis for both.
  const scoreMax = Math.max(1, ...rows.map((r) => r.score ?? 0));
  const y = { field: 'feature', type: 'nominal' as const, sort: rows.map((r) => r.feature), title: null, axis: { labelLimit: 220 } };
  const spec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: opts.title, subtitle: `the ${rows.length} most selected features over ${opts.seeds} seed(s)${hasScore ? '; right: score (Σ_k softmax(L_k) over nodes, mean over seeds)' : ''}` },
    data: { values: rows },
    hconcat: [
      {
        name: 'feature_bars',
        width: hasScore ? 300 : 420,
        height: { step: 14 },
        mark: { type: 'bar' as const, color: '#4c78a8' },
        encoding: { y, x: { field: 'share', type: 'quantitative' as const, title: 'share of seeds that selected it', scale: { domain: [0, 1] } }, description: { field: 'what' } },
      },
      ...(hasScore
        ? [
            {
              name: 'feature_scores',
              width: 140,
              height: { step: 14 },
              mark: { type: 'bar' as const, color: '#f58518' },
              encoding: {
                y: { ...y, axis: null },
                x: { field: 'score', type: 'quantitative' as const, title: 'score (expected nodes)', scale: { domain: [0, scoreMax] } },
                description: { field: 'what' },
              },
            },
          ]
        : []),
    ],
    resolve: { scale: { y: 'shared' } },
  } as unknown as TopLevelSpec;
  return { name: opts.name, title: opts.title, caption: `Selection frequency of the ${rows.length} most selected features.`, spec };
}
